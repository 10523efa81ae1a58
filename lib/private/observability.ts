/**
 * The default alarms and the optional dashboard of a RealtimeNotifications system, built from
 * the metrics the construct exposes.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** The metrics alarms and dashboard watch. */
export interface ObservedMetrics {
  readonly serviceName: string;
  readonly deadLetterMessages: cloudwatch.IMetric;
  readonly deliverErrors: cloudwatch.IMetric;
  readonly oldestMessageAge: cloudwatch.IMetric;
  readonly apiExecutionErrors: cloudwatch.IMetric;
  readonly apiIntegrationErrors: cloudwatch.IMetric;
  readonly throttled: cloudwatch.IMetric;
  readonly delivered: cloudwatch.IMetric;
  readonly gone: cloudwatch.IMetric;
  readonly failed: cloudwatch.IMetric;
  readonly rejected: cloudwatch.IMetric;
  readonly tooLarge: cloudwatch.IMetric;
  readonly fanoutDuration: cloudwatch.IMetric;
  readonly queuedMessages: cloudwatch.IMetric;
  readonly connects: cloudwatch.IMetric;
  readonly messages: cloudwatch.IMetric;
}

export interface DefaultAlarms {
  readonly deadLetterQueue: cloudwatch.Alarm;
  readonly deliverErrors: cloudwatch.Alarm;
  readonly queueAge: cloudwatch.Alarm;
  readonly apiErrors: cloudwatch.Alarm;
  readonly throttling: cloudwatch.Alarm;
}

export function createDefaultAlarms(
  scope: Construct,
  m: ObservedMetrics,
  queueAgeThreshold: Duration,
  topic?: sns.ITopic,
): DefaultAlarms {
  // Each alarm fires as soon as its metric reaches the threshold (1 unless given) and stays OK without data.
  type Props = Omit<cloudwatch.AlarmProps, 'threshold' | 'evaluationPeriods'> & Partial<cloudwatch.AlarmProps>;
  const alarm = (id: string, props: Props) => new cloudwatch.Alarm(scope, id, {
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    ...props,
  });
  const alarms: DefaultAlarms = {
    deadLetterQueue: alarm('DeadLetterQueueAlarm', {
      alarmDescription: `${m.serviceName}: notifications reached the dead-letter queue; `
        + 'each message says why it could not be delivered.',
      metric: m.deadLetterMessages,
    }),
    deliverErrors: alarm('DeliverErrorsAlarm', {
      alarmDescription: `${m.serviceName}: the deliver function failed (crash or timeout); its batch is retried from the queue.`,
      metric: m.deliverErrors,
    }),
    queueAge: alarm('QueueAgeAlarm', {
      alarmDescription: `${m.serviceName}: notifications wait in the delivery queue longer than `
        + `${queueAgeThreshold.toHumanString()}; delivery is falling behind.`,
      metric: m.oldestMessageAge,
      threshold: queueAgeThreshold.toSeconds(),
    }),
    apiErrors: alarm('ApiErrorsAlarm', {
      alarmDescription: `${m.serviceName}: the WebSocket API failed to run its route integrations (5xx to clients).`,
      metric: new cloudwatch.MathExpression({
        expression: 'executionErrors + integrationErrors',
        usingMetrics: { executionErrors: m.apiExecutionErrors, integrationErrors: m.apiIntegrationErrors },
        label: 'WebSocket API errors',
        period: Duration.minutes(5),
      }),
    }),
    // Single 429s are absorbed by backoff; only sustained throttling means the quota is too small.
    throttling: alarm('ThrottlingAlarm', {
      alarmDescription: `${m.serviceName}: the @connections API throttled deliveries for 15 minutes; `
        + 'raise the account quota or lower delivery.maxRatePerSecond.',
      metric: m.throttled,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    }),
  };
  if (topic) {
    const action = new actions.SnsAction(topic);
    for (const alarm of Object.values(alarms) as cloudwatch.Alarm[]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
  return alarms;
}

export function createDashboard(scope: Construct, m: ObservedMetrics, alarms: cloudwatch.IAlarm[]): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    defaultInterval: Duration.hours(3),
  });
  const width = 8;
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({ title: 'Deliveries', width, left: [m.delivered, m.gone], right: [m.failed, m.throttled] }),
    new cloudwatch.GraphWidget({ title: 'Fan-out duration (ms)', width, left: [m.fanoutDuration] }),
    new cloudwatch.GraphWidget({ title: 'Refused notifications', width, left: [m.rejected, m.tooLarge] }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({ title: 'Delivery queue', width, left: [m.queuedMessages], right: [m.oldestMessageAge] }),
    new cloudwatch.GraphWidget({ title: 'Dead-letter queue', width, left: [m.deadLetterMessages] }),
    new cloudwatch.GraphWidget({ title: 'WebSocket API', width, left: [m.connects, m.messages], right: [m.apiExecutionErrors, m.apiIntegrationErrors] }),
  );
  if (alarms.length > 0) {
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms }));
  }
  return dashboard;
}
