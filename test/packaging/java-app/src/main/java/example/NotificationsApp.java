package example;

import io.github.cdkrealtime.notifications.ConnectionAuth;
import io.github.cdkrealtime.notifications.ConnectionOptions;
import io.github.cdkrealtime.notifications.HandlerFunctionOptions;
import io.github.cdkrealtime.notifications.HistoryOptions;
import io.github.cdkrealtime.notifications.JwtConnectionAuthOptions;
import io.github.cdkrealtime.notifications.RealtimeNotifications;
import java.util.List;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.FunctionOptions;

public final class NotificationsApp {
    /** aws-cdk-lib's own FunctionOptions, imported beside the construct's types without a clash. */
    static final Class<FunctionOptions> LAMBDA_FUNCTION_OPTIONS = FunctionOptions.class;

    public static void main(final String[] args) {
        App app = new App(AppProps.builder().outdir(args[0]).build());
        Stack stack = new Stack(app, "JavaNotifications");
        RealtimeNotifications.Builder.create(stack, "Notify")
            .auth(ConnectionAuth.jwt(JwtConnectionAuthOptions.builder()
                .issuer("https://issuer.example.com")
                .audience(List.of("web-app"))
                .build()))
            .connections(ConnectionOptions.builder().maxSubscriptions(20).build())
            .publishRules(List.of("rooms/*"))
            .historyRules(List.of("rooms/*"))
            .history(HistoryOptions.builder().maxReplay(50).build())
            .functions(HandlerFunctionOptions.builder().memorySize(1024).architecture(Architecture.X86_64).build())
            .build();
        app.synth();
    }
}
