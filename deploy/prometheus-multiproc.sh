# Sourced by web.sh and ws.sh before the server starts.
#
# PROMETHEUS_MULTIPROC_DIR: with several worker processes, prometheus_client keeps per-process
# metric files in this directory; it must be empty at start-up or stale values from the previous
# run are merged into the new ones.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    # Empty the directory rather than removing it, so this also works on a mount point.
    find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete
fi
