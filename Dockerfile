# tensorgate: a Triton / KServe v2 compatible inference server, as a container image.
#
#   docker build -t tensorgate/tensorgate:0.1.0 .
#   docker run --rm -p 8000-8002:8000-8002 tensorgate/tensorgate:0.1.0
#   docker run --rm -p 8000-8002:8000-8002 -v "$PWD/models:/models:ro" tensorgate/tensorgate:0.1.0
#
# Build arguments, the GPU variants and the smoke test: docs/container.md. Needs BuildKit (Docker 23+
# by default) or podman/buildah for the RUN --mount lines.

# Node 20 base of the build and of the image. RUNTIME_IMAGE may differ, e.g. a CUDA base with Node 20
# (docs/container.md#gpus); both must be glibc Linux.
ARG NODE_IMAGE=node:20-bookworm-slim
ARG RUNTIME_IMAGE=${NODE_IMAGE}

# ---------------------------------------------------------------------------------------------------
# build: every dependency from the lockfile, compile the TypeScript, pack the three published packages
FROM ${NODE_IMAGE} AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json ./
COPY packaging/ packaging/
COPY packages/protocol/package.json packages/protocol/
COPY packages/onnx-gen/package.json packages/onnx-gen/
COPY packages/gguf-gen/package.json packages/gguf-gen/
COPY packages/client/package.json packages/client/
COPY packages/server/package.json packages/server/
# --ignore-scripts: no dependency needs an install script here (onnxruntime-node runs from its bundled
# CPU binaries, node-llama-cpp from its prebuilt linux-x64 package), and npm 10 would run them all.
# The optional secrets serve builds behind a TLS-intercepting proxy or a private registry: `npm_ca` (a
# CA bundle, trusted by this RUN only) and `npmrc` (npm settings, e.g. registry=...). Neither reaches
# a layer of the image.
RUN --mount=type=secret,id=npm_ca --mount=type=secret,id=npmrc \
    --mount=type=cache,target=/root/.npm,sharing=locked \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    if [ -s /run/secrets/npmrc ]; then export NPM_CONFIG_USERCONFIG=/run/secrets/npmrc; fi; \
    npm ci --ignore-scripts --no-audit --no-fund
COPY packages/ packages/
RUN npx tsc -b packages/server \
 && node packages/server/console-ui/build.mjs \
 && mkdir -p /out/packs /out/node_modules \
 && npm pack --ignore-scripts --silent --pack-destination /out/packs \
      -w @tensorgate/protocol -w @tensorgate/client -w tensorgate \
 && for f in /out/packs/*.tgz; do \
      d="$(mktemp -d)"; tar -xzf "$f" -C "$d"; \
      name="$(node -p "require('$d/package/package.json').name")"; \
      mkdir -p "/out/node_modules/$(dirname "$name")"; mv "$d/package" "/out/node_modules/$name"; \
    done

# ---------------------------------------------------------------------------------------------------
# deps: production dependencies only, from the same lockfile
FROM ${NODE_IMAGE} AS deps
# skip: onnxruntime-node's bundled CPU provider. cuda12: also its CUDA 12 provider libraries (its
# install script downloads them from NuGet; the runtime image then needs CUDA 12 and cuDNN 9).
ARG ONNXRUNTIME_NODE_INSTALL=skip
# none: node-llama-cpp's CPU build (linux-x64). cuda, cuda-ext or vulkan: also that prebuilt
# @node-llama-cpp/linux-x64-<gpu> package (the runtime image then needs its CUDA or Vulkan libraries).
ARG LLAMA_GPU=none
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /opt/tensorgate
COPY package.json package-lock.json ./
COPY packaging/ packaging/
COPY packages/protocol/package.json packages/protocol/
COPY packages/onnx-gen/package.json packages/onnx-gen/
COPY packages/gguf-gen/package.json packages/gguf-gen/
COPY packages/client/package.json packages/client/
COPY packages/server/package.json packages/server/
RUN --mount=type=secret,id=npm_ca --mount=type=secret,id=npmrc \
    --mount=type=cache,target=/root/.npm,sharing=locked \
    set -e; \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    if [ -s /run/secrets/npmrc ]; then export NPM_CONFIG_USERCONFIG=/run/secrets/npmrc; fi; \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund; \
    case "$ONNXRUNTIME_NODE_INSTALL" in \
      skip) ;; \
      cuda12) (cd node_modules/onnxruntime-node && ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install.js) ;; \
      *) echo "ONNXRUNTIME_NODE_INSTALL must be skip or cuda12, not '$ONNXRUNTIME_NODE_INSTALL'" >&2; exit 1 ;; \
    esac; \
    case "$LLAMA_GPU" in \
      none) ;; \
      cuda|cuda-ext|vulkan) \
        v="$(node -p "require('./node_modules/node-llama-cpp/package.json').version")"; \
        rm -rf "node_modules/@node-llama-cpp/linux-x64-$LLAMA_GPU"; \
        npm pack --silent --pack-destination /tmp "@node-llama-cpp/linux-x64-$LLAMA_GPU@$v"; \
        mkdir -p "node_modules/@node-llama-cpp/linux-x64-$LLAMA_GPU"; \
        tar -xzf /tmp/node-llama-cpp-linux-x64-$LLAMA_GPU-$v.tgz --strip-components=1 \
          -C "node_modules/@node-llama-cpp/linux-x64-$LLAMA_GPU"; \
        rm /tmp/*.tgz ;; \
      *) echo "LLAMA_GPU must be none, cuda, cuda-ext or vulkan, not '$LLAMA_GPU'" >&2; exit 1 ;; \
    esac
# The workspace links are replaced by the packed packages (below); the example-model generators are
# development tools; the stubs that stand in for node-llama-cpp's other builds go (an optional package
# that is absent is what node-llama-cpp expects). onnxruntime-node ships every platform's binaries:
# keep this one's.
RUN rm -rf node_modules/tensorgate node_modules/@tensorgate node_modules/onnx-proto \
      packages packaging package.json package-lock.json \
 && find node_modules/@node-llama-cpp -maxdepth 1 -type l -delete \
 && find node_modules/.bin -xtype l -delete \
 && ort=node_modules/onnxruntime-node/bin/napi-v6 \
 && keep="linux/$(node -p process.arch)" \
 && for d in "$ort"/*/*; do case "$d" in "$ort/$keep") ;; *) rm -rf "$d" ;; esac; done

# ---------------------------------------------------------------------------------------------------
# the image
FROM ${RUNTIME_IMAGE}
ENV NODE_ENV=production
WORKDIR /opt/tensorgate
COPY --from=deps /opt/tensorgate/node_modules/ node_modules/
COPY --from=build /out/node_modules/ node_modules/
COPY examples/model_repository/ /models/
# A system user of its own, by number so that Kubernetes' runAsNonRoot can check it.
# JS models import packages from node_modules folders above their files, as any ES module: from
# /models (or /mnt/models under KServe) that is /node_modules, so it links to the server's own
# (image_preprocess imports sharp, a dependency of tensorgate).
RUN groupadd --system --gid 10001 tensorgate \
 && useradd --uid 10001 --gid tensorgate --home-dir /home/tensorgate --create-home tensorgate \
 && chmod 0755 node_modules/tensorgate/bin/tensorgate.js \
 && ln -s /opt/tensorgate/node_modules/tensorgate/bin/tensorgate.js /usr/local/bin/tensorgate \
 && ln -s /opt/tensorgate/node_modules /node_modules
USER 10001:10001
EXPOSE 8000 8001 8002
# The server drains on SIGTERM: it stops taking requests and waits up to --exit-timeout-secs (30)
# for those in flight.
STOPSIGNAL SIGTERM
# Live and ready over HTTP; follows TENSORGATE_HTTP_PORT when that moves the HTTP port.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD tensorgate health --url "localhost:${TENSORGATE_HTTP_PORT:-8000}" --timeout-ms 4000 > /dev/null
ENTRYPOINT ["tensorgate"]
CMD ["serve", "--model-repository", "/models"]
