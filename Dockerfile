FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends gdal-bin libgdal32 nodejs npm gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN bash scripts/vendor_assets.sh
ENV DJANGO_SETTINGS_MODULE=config.settings.local PYTHONUNBUFFERED=1
