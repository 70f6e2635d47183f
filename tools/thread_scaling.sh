#!/bin/bash
# Thread scaling of every benchmark step beside JAX's, as recorded in ARCHITECTURE.md
# ("Every core"): each bench binary and `tools/jax_steps.py` at 1, 2, 4, 8 and 16 threads,
# each process pinned to the first T cores with `taskset` (rayon's pool sized by
# RAYON_NUM_THREADS; XLA's by the cores it may use).
#
#   bash tools/thread_scaling.sh build DIR   # here: the bench binaries and the JAX script into DIR
#   bash DIR/thread_scaling.sh run           # there (a machine with 16 cores, python3 with jax)
set -u
BENCHES="seed_step network_step attention_step cnn_step embedding_step"
case "${1:-}" in
build)
    dir=${2:?a folder to put the binaries in}
    mkdir -p "$dir"
    for b in $BENCHES; do
        bin=$(cargo bench --bench "$b" --no-run --message-format=json 2>/dev/null |
            grep -o '"executable":"[^"]*"' | tail -1 | cut -d'"' -f4)
        cp "$bin" "$dir/$b"
    done
    cp tools/jax_steps.py tools/thread_scaling.sh "$dir/"
    ;;
run)
    cd "$(dirname "$0")"
    export JAX_PLATFORMS=cpu PYTHONUNBUFFERED=1
    lscpu | grep -E "Model name|^CPU\(s\)|L2|L3"
    for T in 1 2 4 8 16; do
        cores=0-$((T - 1))
        echo "=== threads $T (cores $cores)"
        for b in $BENCHES; do
            echo "--- $b"
            # `--bench nomatch`: criterion's own sampling skipped, the interleaved medians kept.
            RAYON_NUM_THREADS=$T taskset -c "$cores" "./$b" --bench nomatch 2>&1 | grep -E " us|ratio"
        done
        echo "--- jax"
        taskset -c "$cores" timeout 150 python3 jax_steps.py seed network attention cnn 2>&1 | grep -v Warning
    done
    ;;
*)
    echo "usage: $0 build DIR | run" >&2
    exit 2
    ;;
esac
