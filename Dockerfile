# regauth image: a static binary on an empty base, so building it needs no network.
# Build with `make image` (which compiles bin/regauth first), not `docker build .` alone.
FROM scratch
COPY regauth /regauth
# The data directory, owned by the unprivileged user, so named volumes inherit the owner.
COPY --chown=65532:65532 data/ /var/lib/regauth/
USER 65532:65532
ENV REGAUTH_DATA_DIR=/var/lib/regauth
EXPOSE 5043
ENTRYPOINT ["/regauth"]
CMD ["serve"]
