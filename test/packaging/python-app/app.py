"""A small Python CDK app that uses the construct from the jsii-built wheel."""
import sys

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from cdk_realtime_notifications import (
    ClientMessageOptions,
    ConnectionAuth,
    HistoryOptions,
    RealtimeNotifications,
)

app = cdk.App(outdir=sys.argv[1])
stack = cdk.Stack(app, "PythonNotifications", env=cdk.Environment(account="123456789012", region="eu-west-1"))
notifications = RealtimeNotifications(
    stack,
    "Notify",
    auth=ConnectionAuth.jwt(issuer="https://issuer.example.com", audience=["web-app"]),
    topic_rules=["orders/*", "rooms/*", "users/{userId}/**"],
    allow_broadcast=True,
    publish_rules=["rooms/*"],
    presence_rules=["rooms/*"],
    history_rules=["rooms/*"],
    client_messages=ClientMessageOptions(max_size=cdk.Size.kibibytes(8)),
    history=HistoryOptions(retention=cdk.Duration.hours(6)),
    throttle=apigwv2.ThrottleSettings(rate_limit=50, burst_limit=20),
)
cdk.CfnOutput(stack, "Url", value=notifications.web_socket_url)
app.synth()
