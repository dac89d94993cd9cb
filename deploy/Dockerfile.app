# The Python application image (Python 3.11): the action server, the gateway and the outbox worker run from it
# with different commands (compose.yml). The retrieval encoder and the safeguarding triage model are fine-tuned
# at build time (policybot index), from the packaged all-MiniLM-L6-v2: nothing is downloaded at run time.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.txt
COPY bot bot
COPY actions actions
COPY policy_corpus policy_corpus
COPY scripts scripts
RUN pip install --no-cache-dir --no-deps -e . && HF_HUB_OFFLINE=1 policybot index
ENV PYTHONPATH=/app PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
EXPOSE 5055 8000
CMD ["python", "-m", "bot.gateway.serve", "--host", "0.0.0.0", "--port", "8000"]
