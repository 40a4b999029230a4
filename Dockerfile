# The CPD service as a container: the web app under gunicorn, or a delivery worker, from one image.
#   docker compose up            (compose.yaml: PostgreSQL, the schema migrated, the service, 2 workers)
# See docs/deployment.md. Put a TLS proxy in front; set CPD_PUBLIC_URL to the address members use.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CPD_INSTANCE_PATH=/var/lib/cpd
WORKDIR /app
COPY pyproject.toml README.md ./
COPY addin ./addin
COPY sync_service ./sync_service
COPY workbook_templates ./workbook_templates
RUN pip install '.[service]' && useradd --system --home-dir /var/lib/cpd --create-home cpd
USER cpd
EXPOSE 8000
# Several containers start together: the schema is migrated once, by the 'migrate' service.
ENV CPD_AUTO_MIGRATE=false
CMD ["cpd", "serve", "--host", "0.0.0.0", "--port", "8000"]
