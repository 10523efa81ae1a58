package example;

import io.github.cdkrealtime.notifications.ConnectionAuth;
import io.github.cdkrealtime.notifications.ConnectionOptions;
import io.github.cdkrealtime.notifications.HistoryOptions;
import io.github.cdkrealtime.notifications.JwtConnectionAuthOptions;
import io.github.cdkrealtime.notifications.RealtimeNotifications;
import java.util.List;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Stack;

public final class NotificationsApp {
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
            .build();
        app.synth();
    }
}
