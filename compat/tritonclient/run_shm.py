#!/usr/bin/python3
"""Runs Triton's own system shared-memory examples, unchanged, against a running tensorgate that
serves examples/model_repository with client shared memory on (--allow-client-shm):

    simple_grpc_shm_client.py, simple_grpc_shm_string_client.py   (gRPC)
    simple_http_shm_client.py, simple_http_shm_string_client.py   (HTTP)

Each must exit 0 and print "PASS: system shared memory". Then, with the official client too:
a region registered twice fails with Triton's ALREADY_EXISTS message, an input range past its
region with Triton's "Invalid offset + byte size" message, and registering a CUDA region is
refused while CUDA status lists none and CUDA unregister succeeds.

    TRITON_EXAMPLES=<dir with the examples> \\
    TRITONCLIENT_PATH=<dir holding tritonclient/> \\
    /usr/bin/python3 compat/tritonclient/run_shm.py --http-url 127.0.0.1:8000 --grpc-url 127.0.0.1:8001

Prints one PASS/FAIL line per check and "N passed, M failed"; exit status 1 if anything failed.
"""
import os
import sys

from example_runner import check, error_of, example_env, finish, parse_args, run_example


def client_checks(args):
    sys.path.insert(0, os.environ.get("TRITONCLIENT_PATH", "/opt/tc/src/python/library"))
    import numpy as np
    import tritonclient.grpc as grpcclient
    import tritonclient.http as httpclient
    import tritonclient.utils.shared_memory as shm

    for proto, mod, url in (("grpc", grpcclient, args.grpc_url), ("http", httpclient, args.http_url)):
        c = mod.InferenceServerClient(url=url)
        c.unregister_system_shared_memory()
        handle = shm.create_shared_memory_region("run_shm_in", "/run_shm_in", 64)
        try:
            shm.set_shared_memory_region(handle, [np.arange(16, dtype=np.int32)])
            c.register_system_shared_memory("run_shm_in", "/run_shm_in", 64)
            err = error_of(lambda: c.register_system_shared_memory("run_shm_in", "/run_shm_in", 64))
            check(f"{proto}: a region registered twice is refused", err is not None and "already in manager" in err, str(err))
            inputs = [mod.InferInput("INPUT0", [1, 16], "INT32"), mod.InferInput("INPUT1", [1, 16], "INT32")]
            inputs[0].set_shared_memory("run_shm_in", 64, offset=32)
            inputs[1].set_shared_memory("run_shm_in", 64)
            err = error_of(lambda: c.infer("simple", inputs))
            check(
                f"{proto}: an input range past its region is refused",
                err is not None and "Invalid offset + byte size for shared memory region: 'run_shm_in'" in err,
                str(err),
            )
            status = c.get_cuda_shared_memory_status()
            check(f"{proto}: CUDA status lists no regions", len(status.regions) == 0 if proto == "grpc" else status == [], str(status))
            err = error_of(lambda: c.unregister_cuda_shared_memory())
            check(f"{proto}: CUDA unregister succeeds", err is None, str(err))
            err = error_of(lambda: c.register_cuda_shared_memory("cuda0", b"\0" * 64, 0, 64))
            check(f"{proto}: registering a CUDA region is UNSUPPORTED", err is not None and "CUDA shared memory is not supported" in err, str(err))
        finally:
            c.unregister_system_shared_memory()
            shm.destroy_shared_memory_region(handle)


def main():
    args = parse_args(__doc__)
    env = example_env()
    for script, url in (
        ("simple_grpc_shm_client.py", args.grpc_url),
        ("simple_grpc_shm_string_client.py", args.grpc_url),
        ("simple_http_shm_client.py", args.http_url),
        ("simple_http_shm_string_client.py", args.http_url),
    ):
        run_example(args, env, script, url, "PASS: system shared memory")
    client_checks(args)
    finish()


if __name__ == "__main__":
    main()
