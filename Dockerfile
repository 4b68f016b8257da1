# Wharf broker image: compiled with TypeScript in a build stage, run as plain Node.js.
#   docker build -t wharf .        docker run --rm -p 61613:61613 wharf
# The entrypoint is `wharf`: the default command is `start`; `drill ...` runs a failover drill.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY protocols ./protocols
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production WHARF_DATA_DIR=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# A fresh named volume mounted on /data takes this owner, so the broker can write its journal and lease.
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
# STOMP tcp/tls, WS/WSS, MQTT tcp/tls, AMQP tcp/tls, OpenWire tcp/tls, admin HTTP.
EXPOSE 61613 61614 61618 61619 1883 8883 5672 5671 61616 61617 8162
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["start"]
