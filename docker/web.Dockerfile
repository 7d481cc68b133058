# The dashboard image: build the SPA, serve web/dist with unprivileged nginx on :8080.
# Build from the repository root:  docker build -f docker/web.Dockerfile -t …/dashboard:0.1.0 .
# Pinned to exact version tags; pin digests where you build (see docker/Dockerfile).
ARG NODE_IMAGE=node:22.12.0-bookworm-slim
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.27.3-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM ${NGINX_IMAGE}
COPY docker/web-nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=build /web/dist /usr/share/nginx/html
EXPOSE 8080
