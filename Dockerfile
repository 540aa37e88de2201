FROM python:3.11-slim
WORKDIR /srv/costgraph
COPY pyproject.toml README.md ./
COPY app ./app
COPY evolution ./evolution
COPY cypher ./cypher
RUN pip install --no-cache-dir -e .
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=12 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"
CMD ["uvicorn", "app.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
