# syntax=docker/dockerfile:1
# iotgw gateway image: `iotgw start` as a non-root user, state in the /data volume.
#   docker build -t iotgw .
#   docker run -d --name iotgw --restart unless-stopped --stop-timeout 30 \
#     -v iotgw-data:/data -v "$PWD/config:/etc/iotgw:ro" --env-file iotgw.env \
#     --device /dev/ttyUSB0 --group-add "$(getent group dialout | cut -d: -f3)" iotgw
# See "Run it anywhere" in README.md.

# 1. Build and pack every shipped package, as `npm publish` would ship it.
FROM node:20-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && node scripts/pack.mjs /packs > /dev/null

# 2. Install the packed product, production dependencies only, into a clean project.
#    No install scripts: serialport ships prebuilt binaries; the optional BLE stack stays uncompiled.
FROM node:20-slim AS install
COPY --from=build /src/scripts/install-tarballs.mjs /tmp/install-tarballs.mjs
COPY --from=build /packs /packs
RUN node /tmp/install-tarballs.mjs /packs /opt/iotgw --omit=dev --ignore-scripts \
 && npm cache clean --force

# 3. The runtime: node, the installed product, nothing else.
FROM node:20-slim AS runtime
# The V8 heap sized for a gateway, not for the host's memory (see deploy/systemd/iotgw.service);
# override with -e NODE_OPTIONS=... (empty: Node sizes it from the container's --memory limit, or the host's memory).
ENV NODE_ENV=production NODE_OPTIONS="--max-old-space-size=256 --max-semi-space-size=8" PATH=/opt/iotgw/node_modules/.bin:$PATH
COPY --from=install /opt/iotgw /opt/iotgw
# The data dir (OTA jobs, download progress, outbox) lives in /data: relative to the working
# directory, the default "dataDir" ./.iotgw lands there too.
RUN mkdir -p /data /etc/iotgw && chown node:node /data
VOLUME /data
WORKDIR /data
USER node
# Serial ports: pass the device (--device /dev/ttyUSB0) and its group (--group-add <gid of dialout>).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:7380/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["iotgw", "start"]
CMD ["--device-info", "/etc/iotgw/device_info.json", "--config", "/etc/iotgw/iotgw.json"]
