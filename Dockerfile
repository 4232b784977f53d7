# The Denoising Autoencoder Lab as a public demo: CPU-only PyTorch, a non-root user that cannot rewrite the code it
# runs, the public limits, and the visitors' saved runs in a volume.
# Build: docker build --build-arg PIP_INDEX_URL=... --build-arg PIP_EXTRA_INDEX_URL=... -t dae-lab .
#   Pass your index of CPU-only torch wheels as PIP_INDEX_URL and your index for every other package as
#   PIP_EXTRA_INDEX_URL (pip reads both from the environment). Without them pip uses its default index, whose Linux
#   torch is the CUDA build: several GB instead of about 200 MB. A build argument shows in the image's history, so
#   an index that needs a password belongs in a build secret instead.
#   Offline, from a folder of wheels (`pip download -r requirements.txt -d wheels`) mounted into the build:
#   podman build -v "$PWD/wheels:/wheels:ro" --build-arg PIP_FIND_LINKS=/wheels --build-arg PIP_NO_INDEX=1 ...
#   Any Debian-like base with Python 3.11 and its venv module serves as well (`podman build --from <image>`):
#   bench/container_check.py builds one with debootstrap and checks the image end to end.
# Run: docker run -p 8501:8501 -v dae-data:/data dae-lab
FROM python:3.11-slim

ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_NO_INDEX

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/venv/bin:$PATH \
    DAE_PROFILE=public \
    DAE_DATA_DIR=/data

RUN useradd --create-home --uid 10001 lab && mkdir /data && chown lab /data
WORKDIR /app

# The packages live in a virtual environment owned by root (on a Debian base, the system Python is not pip's to
# change). The indexes come from the build arguments above (an empty one is ignored by pip).
COPY requirements.txt .
RUN python3 -m venv /venv && pip install -r requirements.txt

# The code belongs to root: the app's user reads it but cannot change it, so a flaw in the app cannot rewrite what
# the server runs. Only /data is the user's.
COPY app.py ./
COPY .streamlit .streamlit
COPY dae_core dae_core
COPY dashboard dashboard
COPY pages pages

USER lab
VOLUME /data
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4).read() != b'ok')"
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"]
