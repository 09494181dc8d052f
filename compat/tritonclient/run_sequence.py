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
import os
import sys

from example_runner import check, error_of, example_env, finish, parse_args, run_example


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
    args = parse_args(__doc__)
    env = example_env()
    for script, url, passed in (
        ("simple_grpc_sequence_stream_infer_client.py", args.grpc_url, "PASS: Sequence"),
        ("simple_grpc_sequence_sync_infer_client.py", args.grpc_url, "PASS: Sequence"),
        ("simple_grpc_aio_sequence_stream_infer_client.py", args.grpc_url, "PASS: grpc aio sequence stream"),
        ("simple_http_sequence_sync_infer_client.py", args.http_url, "PASS: Sequence"),
    ):
        for flags in ([], ["--dyna"]):
            run_example(args, env, script, url, passed, flags)
    client_checks(args)
    finish()


if __name__ == "__main__":
    main()
