# One image for the backend and the retraining worker (docker-compose.yml runs it twice).
# torch from PyPI brings its CUDA libraries, so the worker uses a GPU when the host lends one
# (docker-compose.gpu.yml); without one it trains on the CPU.
FROM python:3.11-slim

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
# The product's four layers (the worker is retraining/worker.py, the job retraining/job.py) and
# the shipped model, served when DEFAULT_MODEL is unset.
COPY pyproject.toml README.md ./
COPY converters/ converters/
COPY trainer/ trainer/
COPY retraining/ retraining/
COPY backend/ backend/
COPY pretrained/ pretrained/
RUN pip install --no-cache-dir --no-deps -e .

# Model versions (and the offline encoder's cache) live on a volume shared with the worker.
ENV MODEL_DIR=/data/models \
    RUREBUS_CACHE=/data/cache \
    HOST=0.0.0.0 \
    PORT=9090
EXPOSE 9090
CMD ["python", "-m", "backend"]
