import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, MetricNames } from '../../lib/private/runtime-contract';
import { resourceNamed, synth } from './synth';

const { template, stack, notifications } = synth({ monitoring: { dashboard: true } });
const alarmProps = (alarm: cloudwatch.Alarm | undefined) =>
  template.toJSON().Resources[stack.getLogicalId(alarm!.node.defaultChild as cloudwatch.CfnAlarm)].Properties;

describe('metric methods', () => {
  test.each<[string, (o?: cloudwatch.MetricOptions) => cloudwatch.Metric, string]>([
    ['metricDelivered', (o) => notifications.metricDelivered(o), MetricNames.delivered],
    ['metricFailed', (o) => notifications.metricFailed(o), MetricNames.failed],
    ['metricThrottled', (o) => notifications.metricThrottled(o), MetricNames.throttled],
    ['metricGone', (o) => notifications.metricGone(o), MetricNames.gone],
    ['metricRejected', (o) => notifications.metricRejected(o), MetricNames.rejected],
    ['metricTooLarge', (o) => notifications.metricTooLarge(o), MetricNames.tooLarge],
    ['metricNotifications', (o) => notifications.metricNotifications(o), MetricNames.notifications],
    ['metricClientMessages', (o) => notifications.metricClientMessages(o), MetricNames.clientMessages],
    ['metricRateLimited', (o) => notifications.metricRateLimited(o), MetricNames.rateLimited],
    ['metricPushSent', (o) => notifications.metricPushSent(o), MetricNames.pushSent],
    ['metricPushFailed', (o) => notifications.metricPushFailed(o), MetricNames.pushFailed],
    ['metricPushDevicesRemoved', (o) => notifications.metricPushDevicesRemoved(o), MetricNames.pushDevicesRemoved],
  ])('%s reads the handlers\' EMF metric in this deployment\'s service dimension', (_name, metric, metricName) => {
    const m = metric();
    expect(m).toMatchObject({ namespace: METRICS_NAMESPACE, metricName, statistic: 'Sum' });
    expect(m.dimensions).toEqual({ service: notifications.serviceName });
    expect(m.period.toSeconds()).toBe(300);
    const custom = metric({ period: Duration.minutes(1), statistic: 'Maximum' });
    expect(custom).toMatchObject({ metricName, statistic: 'Maximum' });
    expect(custom.period.toSeconds()).toBe(60);
  });

  test('metricFanoutDuration is p99 by default', () => {
    expect(notifications.metricFanoutDuration()).toMatchObject({
      namespace: METRICS_NAMESPACE, metricName: MetricNames.fanoutDuration, statistic: 'p99',
    });
  });

  test('metricDeadLetterMessages reads the DLQ depth', () => {
    const m = notifications.metricDeadLetterMessages();
    expect(m).toMatchObject({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', statistic: 'Maximum' });
    expect(stack.resolve(m.dimensions!.QueueName)).toEqual({
      'Fn::GetAtt': [resourceNamed(template, 'AWS::SQS::Queue', 'NotificationsDeadLetterQueue').id, 'QueueName'],
    });
  });
});

describe('default alarms', () => {
  test('dead-letter queue not empty', () => {
    expect(alarmProps(notifications.deadLetterQueueAlarm)).toMatchObject({
      Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
    });
  });

  test('deliver function errors', () => {
    expect(alarmProps(notifications.deliverErrorsAlarm)).toMatchObject({
      Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Threshold: 1,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: stack.getLogicalId(notifications.deliverFunction.node.defaultChild as any) } }],
    });
  });

  test('oldest queued message age, 5 minutes by default', () => {
    expect(alarmProps(notifications.queueAgeAlarm)).toMatchObject({
      Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Statistic: 'Maximum', Threshold: 300,
    });
  });

  test('WebSocket API execution and integration errors of this stage', () => {
    const props = alarmProps(notifications.apiErrorsAlarm);
    expect(props.Threshold).toBe(1);
    const [expression, ...inputs] = props.Metrics;
    expect(expression.Expression).toBe('executionErrors + integrationErrors');
    const api = resourceNamed(template, 'AWS::ApiGatewayV2::Api', 'NotificationsWebSocketApi').id;
    expect(inputs.map((i: any) => i.MetricStat.Metric)).toEqual(['ExecutionError', 'IntegrationError'].map((name) => ({
      Namespace: 'AWS/ApiGateway',
      MetricName: name,
      Dimensions: [{ Name: 'ApiId', Value: { Ref: api } }, { Name: 'Stage', Value: 'prod' }],
    })));
  });

  test('sustained @connections throttling', () => {
    expect(alarmProps(notifications.throttlingAlarm)).toMatchObject({
      Namespace: METRICS_NAMESPACE, MetricName: MetricNames.throttled,
      Dimensions: [{ Name: 'service', Value: notifications.serviceName }],
      EvaluationPeriods: 3, DatapointsToAlarm: 3,
    });
  });

  test('the throttling alarm names the prop that caps deliveries by its 1.0 path', () => {
    expect(alarmProps(notifications.throttlingAlarm).AlarmDescription)
      .toMatch(/raise the account quota or lower delivery\.maxRatePerSecond\.$/);
  });
});

test('the dashboard shows deliveries, queues, the API and the alarms', () => {
  const body = JSON.stringify(notifications.dashboard!.node.defaultChild && stack.resolve(
    (notifications.dashboard!.node.defaultChild as cloudwatch.CfnDashboard).dashboardBody));
  for (const text of ['Deliveries', 'Fan-out duration', 'Delivery queue', 'Dead-letter queue', 'WebSocket API', 'Alarms',
    MetricNames.delivered, MetricNames.throttled, 'ExecutionError']) {
    expect(body).toContain(text);
  }
});
