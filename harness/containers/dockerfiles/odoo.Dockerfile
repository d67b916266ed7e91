# An Odoo 19 runtime for machines where the official `odoo:19.0` image cannot be pulled: Debian's
# Python packages that Odoo imports (the doctor's list), wkhtmltopdf for PDF reports, and the
# Odoo tree of ODOO_SRC copied in at build time (it is never part of this repository).
FROM {{BASE}}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 {{PACKAGES}} \
 && rm -rf /var/lib/apt/lists/*
COPY odoo-bin /opt/odoo/odoo-bin
COPY odoo /opt/odoo/odoo
COPY addons /opt/odoo/addons
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /opt/odoo
ENTRYPOINT ["/usr/bin/python3", "/opt/odoo/odoo-bin"]
