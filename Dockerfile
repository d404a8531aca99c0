# The yibao image used by docker-compose.milvus.yml (not built here: no Docker on the machine
# that wrote it). The same two install steps as `make install`: the CPU torch first, then the
# project with the pinned versions and the Milvus client.
FROM python:3.11-slim

ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    YIBAO_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY qa qa
COPY ingest ingest
COPY api api
COPY eval eval
COPY corpus corpus
RUN pip install --no-cache-dir --index-url "$TORCH_INDEX_URL" torch==2.13.0 \
    && pip install --no-cache-dir -c constraints.txt ".[milvus]" \
    && yibao model

EXPOSE 8000
CMD ["yibao", "serve", "--host", "0.0.0.0", "--port", "8000"]
