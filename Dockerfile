# cadrebot in a container: see docs/deploy.md. Build: `docker build -t cadrebot .`
# The base image can be swapped (a mirror, a pinned digest) with --build-arg PYTHON_IMAGE=...
ARG PYTHON_IMAGE=python:3.11-slim

# Stage 1: the app and its dependencies in a virtual environment (no dev extras).
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/cadrebot
WORKDIR /src
COPY . .
RUN /opt/cadrebot/bin/pip install . && rm -rf /src

# Stage 2: the same base, the virtual environment, the door-code PDF's Chinese font, a user.
FROM ${PYTHON_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 cadrebot \
    && useradd --system --uid 10001 --gid cadrebot --home-dir /var/lib/cadrebot \
       --shell /usr/sbin/nologin cadrebot \
    && mkdir -p /var/lib/cadrebot/data /var/lib/cadrebot/evidence /var/lib/cadrebot/reports \
    && chown -R cadrebot:cadrebot /var/lib/cadrebot
COPY --from=build /opt/cadrebot /opt/cadrebot
# The monitoring server (/healthz, /readyz, /metrics) is on in the container: the health
# check below asks it. Files the commands write land in the volumes of docs/deploy.md.
ENV PATH=/opt/cadrebot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/var/lib/cadrebot \
    MPLCONFIGDIR=/tmp/matplotlib \
    CADREBOT_METRICS_PORT=9108 \
    CADREBOT_REPORTS_DIR=/var/lib/cadrebot/reports
WORKDIR /var/lib/cadrebot
USER cadrebot
EXPOSE 9108
# Python's urllib, not curl (not in the slim image): alive when /healthz answers 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CADREBOT_METRICS_PORT', '9108'), timeout=4)"]
ENTRYPOINT ["cadrebot"]
CMD ["run"]
