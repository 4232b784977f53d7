# The Denoising Autoencoder Lab as a public demo: CPU-only PyTorch, a non-root user, the public limits, and the
# visitors' saved runs in a volume. Build: docker build -t dae-lab .   Run: docker run -p 8501:8501 -v dae-data:/data dae-lab
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAE_PROFILE=public \
    DAE_DATA_DIR=/data

RUN useradd --create-home --uid 10001 lab && mkdir /data && chown lab /data
WORKDIR /app

# The CPU build of torch (about 200 MB, against several GB for the CUDA build PyPI serves on Linux).
COPY requirements.txt .
RUN pip install --index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple \
    -r requirements.txt

COPY --chown=lab app.py ./
COPY --chown=lab .streamlit .streamlit
COPY --chown=lab dae_core dae_core
COPY --chown=lab dashboard dashboard
COPY --chown=lab pages pages

USER lab
VOLUME /data
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4).read() != b'ok')"
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"]
