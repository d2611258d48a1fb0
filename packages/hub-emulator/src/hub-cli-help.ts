// Its own module with no imports: `iotgw help hub` prints it without loading the emulator.
export const HUB_CLI_HELP = `Usage: iotgw hub [options]

Runs a local Tencent Cloud IoT Hub emulator: MQTT broker with key auth and topic ACL, gateway
operations, OTA pushes, firmware HTTP server and a web console. Runs until SIGINT/SIGTERM.

Options:
  --port <n>          MQTT port of the embedded broker (default 1883; 0 = any free port)
  --http-port <n>     HTTP port for firmware downloads, admin API and console (default 8080; 0 = any)
  --tls-port <n>      also offer MQTT over TLS on this port with a self-signed certificate
                      made at start; its PEM is written to a temp file whose path is printed
                      (clients trust it as their CA); removed on stop
  --ws-port <n>       also offer MQTT over websocket on this port (ws://host:port/mqtt)
  --host <addr>       interface to listen on (default 127.0.0.1)
  --registry <file>   registry JSON {"devices":[...],"bindings":[...]} (secrets, bindings); loaded
                      at start, saved on change with mode 0600; any other file (e.g. a vendor
                      device_info.json) is refused (default: in memory only)
  --broker <url>      mqtt://host:port: run the hub logic as a client of that broker instead of
                      embedding one. Auth and ACL are then the broker's job (e.g. mosquitto's
                      password_file / acl_file); the emulator only answers operations and OTA.
  --token <t>         admin API and console token (16..128 characters of A-Z a-z 0-9 . _ ~ -);
                      default $IOTGW_HUB_TOKEN, else a random one made at start. The console URL
                      printed at start carries it; API calls send "Authorization: Bearer <t>"
  --firmware-dir <d>  the only directory the admin API may register firmware from by path
                      (POST /api/firmware {"path":"app.bin","version":"1.0.0"}); without it
                      firmware is registered by upload only (PUT /api/firmware?version=V)
  --max-packet-bytes <n>
                      largest MQTT packet a device may send (default 1048576); a bigger one
                      closes that device's connection
  --log-level <l>     debug, info, warn or error (default warn): log lines go to stderr. warn:
                      every refused connection, ACL denial, oversize packet and malformed
                      message; info: also connects, disconnects, gateway operations with their
                      results, firmware jobs and their progress; debug: also every message
                      (topic, size, the start of the payload). Never a secret or a signature
  -h, --help          show this help

Environment:
  IOTGW_HUB_TOKEN     the admin token when --token is not given
`;
