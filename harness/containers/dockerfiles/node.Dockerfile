# Node.js from Debian, for the harness's helper services (the stateful Stripe mock, webhook
# receivers) where the official `node` image cannot be pulled. Debian 13: its Node.js is 20, which
# the `stripe` package the mock uses requires. The repository (and its node_modules) is mounted at
# run time, read-only.
FROM {{BASE}}
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs ca-certificates \
 && rm -rf /var/lib/apt/lists/*
