"""Cloud-messaging traffic on screen (seed 002), against a scripted connection
server: one line per payload in the console, a nack as an error naming the
service's code."""

from run import TmuxTestCase, TmuxUI
from scripted import ScriptedServer

DOMAIN = "gcm.googleapis.com"
NS_GCM = "google:mobile:data"


def gcm(payload):
    return ("<message from='devices@%s' type='normal'><gcm xmlns='%s'>%s</gcm></message>"
            % (DOMAIN, NS_GCM, payload))


class TestFcmScreen(TmuxTestCase):

    def test_fcm_events_are_shown(self):
        srv = ScriptedServer(cert=self.fx.cert_file, key=self.fx.key_file, domain=DOMAIN,
                             tls="direct", users={"126200347933": "apikey"})
        self.addCleanup(srv.stop)
        acct = {"jid": "126200347933@%s" % DOMAIN, "password": "apikey", "auth": "plain",
                "tls": "direct", "server": "127.0.0.1", "port": srv.port,
                "tls_fingerprint": self.fx.fingerprint, "fcm": True, "autoack_fcm": True}
        ui = TmuxUI(self.natter_bin, "test", acct, 120, 30)
        self._uis.append(ui)
        ui.start()
        conn = srv.wait_connection(timeout=15)
        ui.wait_status("online", timeout=15)
        conn.send(gcm('{"data":{"Hello":"World"},"from":"feQqD9P957k","message_id":"1234567",'
                      '"category":"com.example.app"}'))
        ui.wait_text('fcm upstream 1234567 from feQqD9P957k (com.example.app): {"Hello":"World"}')
        ui.wait_text("fcm ack sent for 1234567")
        ui.line('/fcm send {"to":"eQq","message_id":"800001","data":{"x":"y"}}')
        ui.wait_text("fcm sent 800001 (1 unacknowledged)")
        conn.expect("message", timeout=10)
        conn.send(gcm('{"message_type":"nack","from":"eQq","message_id":"800001",'
                      '"error":"BAD_REGISTRATION"}'))
        ui.wait_text("fcm nack 800001 from eQq: BAD_REGISTRATION")
        conn.send(gcm('{"message_type":"control","control_type":"CONNECTION_DRAINING"}'))
        ui.wait_text("fcm control CONNECTION_DRAINING: the server drains this connection")
        srv.wait_connection(timeout=15)
        ui.wait_status("online", timeout=15)
