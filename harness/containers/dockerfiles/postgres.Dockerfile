# PostgreSQL from Debian's package, for machines where the official `postgres` image cannot be
# pulled. The entrypoint follows the official image's contract the harness uses: POSTGRES_USER,
# POSTGRES_HOST_AUTH_METHOD=trust, PGDATA, and `postgres <args>` as the command.
FROM {{BASE}}
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/*
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
RUN chmod 755 /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
CMD ["postgres"]
