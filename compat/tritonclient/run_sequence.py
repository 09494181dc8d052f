#!/usr/bin/python3
"""Runs Triton's own sequence examples, unchanged, against a running tensorgate that serves
examples/model_repository (simple_sequence, simple_dyna_sequence, simple_string_dyna_sequence):

    simple_grpc_sequence_stream_infer_client.py      (gRPC ModelStreamInfer)
    simple_grpc_sequence_sync_infer_client.py        (gRPC ModelInfer)
    simple_grpc_aio_sequence_stream_infer_client.py  (gRPC asyncio stream)
    simple_http_sequence_sync_infer_client.py        (HTTP)

each without and with --dyna (the `direct` simple_sequence, and the `oldest` simple_dyna_sequence
with simple_string_dyna_sequence for string ids). Each must exit 0 and print its PASS line. Then,
with the official client too, the sequence batcher's errors: no sequence id, a sequence not started,
a string id for a UINT64 CORRID, and a control input sent by the client.

    TRITON_EXAMPLES=<dir with the examples> \\
    TRITONCLIENT_PATH=<dir holding tritonclient/> \\
    /usr/bin/python3 compat/tritonclient/run_sequence.py --http-url 127.0.0.1:8000 --grpc-url 127.0.0.1:8001

Prints one PASS/FAIL line per check and "N passed, M failed"; exit status 1 if anything failed.
"""
import argparse
import os
import subprocess
import sys

RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}", flush=True)


def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the client's InferenceServerException
        return str(e)
    return None


def client_checks(args):
    sys.path.insert(0, os.environ.get("TRITONCLIENT_PATH", "/opt/tc/src/python/library"))
    import numpy as np
    import tritonclient.grpc as grpcclient
    import tritonclient.http as httpclient

    for proto, mod, url in (("grpc", grpcclient, args.grpc_url), ("http", httpclient, args.http_url)):
        c = mod.InferenceServerClient(url=url)
        value = mod.InferInput("INPUT", [1, 1], "INT32")
        value.set_data_from_numpy(np.array([[1]], dtype=np.int32))

        err = error_of(lambda: c.infer("simple_sequence", [value]))
        check(
            f"{proto}: a request without sequence id is refused",
            err is not None and "must specify a non-zero or non-empty correlation ID" in err,
            str(err),
        )
        err = error_of(lambda: c.infer("simple_sequence", [value], sequence_id=987654))
        check(
            f"{proto}: a sequence not started is refused",
            err is not None
            and "inference request for sequence 987654 to model 'simple_sequence' must specify the START flag" in err,
            str(err),
        )
        err = error_of(lambda: c.infer("simple_dyna_sequence", [value], sequence_id="abc", sequence_start=True))
        check(
            f"{proto}: a string id for a UINT64 CORRID is refused",
            err is not None and "data-type is 'BYTES', but model 'simple_dyna_sequence' expects 'UINT64'" in err,
            str(err),
        )
        start = mod.InferInput("START", [1, 1], "INT32")
        start.set_data_from_numpy(np.array([[1]], dtype=np.int32))
        err = error_of(lambda: c.infer("simple_sequence", [value, start], sequence_id=55, sequence_start=True))
        check(
            f"{proto}: a control input sent by the client is refused",
            err is not None and "input 'START' of a request for model 'simple_sequence' is a sequence control input" in err,
            str(err),
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--http-url", default="127.0.0.1:8000")
    ap.add_argument("--grpc-url", default="127.0.0.1:8001")
    ap.add_argument("--examples", default=os.environ.get("TRITON_EXAMPLES", "/opt/tc/src/python/examples"))
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("-v", action="store_true", help="print the clients' output")
    args = ap.parse_args()
    env = dict(os.environ)
    lib = env.get("TRITONCLIENT_PATH", "/opt/tc/src/python/library")
    env["PYTHONPATH"] = os.pathsep.join(p for p in [lib, env.get("PYTHONPATH", "")] if p)
    for script, url, passed in (
        ("simple_grpc_sequence_stream_infer_client.py", args.grpc_url, "PASS: Sequence"),
        ("simple_grpc_sequence_sync_infer_client.py", args.grpc_url, "PASS: Sequence"),
        ("simple_grpc_aio_sequence_stream_infer_client.py", args.grpc_url, "PASS: grpc aio sequence stream"),
        ("simple_http_sequence_sync_infer_client.py", args.http_url, "PASS: Sequence"),
    ):
        for flags in ([], ["--dyna"]):
            p = subprocess.run(
                ["/usr/bin/python3", os.path.join(args.examples, script), "-u", url, *flags],
                env=env, capture_output=True, text=True, timeout=args.timeout,
            )
            if args.v:
                print(p.stdout + p.stderr)
            ok = p.returncode == 0 and passed in p.stdout
            check(f"{script} -u {url} {' '.join(flags)}".rstrip(), ok, "" if ok else (p.stdout + p.stderr)[-600:])
    client_checks(args)
    passed = sum(RESULTS)
    print(f"{passed} passed, {len(RESULTS) - passed} failed")
    sys.exit(0 if passed == len(RESULTS) else 1)


if __name__ == "__main__":
    main()
