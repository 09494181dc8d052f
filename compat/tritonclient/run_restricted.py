#!/usr/bin/python3
"""Restricted APIs (--http-restricted-api, --grpc-restricted-protocol) driven by NVIDIA's own
tritonclient (grpc, grpc.aio, http, http.aio, streaming): its `headers=` argument carries the
header as an HTTP header and as gRPC metadata, as Triton documents.

Start the server with exactly these restrictions (health, metadata, ... stay open):

    npx tensorgate serve --model-repository examples/model_repository \\
      --http-restricted-api 'inference:x-api-key=compat-key' \\
      --http-restricted-api 'model-repository,logging:x-admin-key=compat-admin' \\
      --grpc-restricted-protocol 'inference:x-api-key=compat-key' \\
      --grpc-restricted-protocol 'model-repository,logging,trace:x-admin-key=compat-admin'

then, with the client set up as in README.md beside this file:

    TRITONCLIENT_PATH=<dir> /usr/bin/python3 compat/tritonclient/run_restricted.py \\
      --http-url 127.0.0.1:8000 --grpc-url 127.0.0.1:8001

Every check prints one PASS/FAIL line; the last line is "N passed, M failed"; exit status 1 if
anything failed.
"""
import argparse
import asyncio
import os
import queue
import sys
import traceback

sys.path.insert(0, os.environ.get("TRITONCLIENT_PATH", "/work/compat/src"))

import numpy as np  # noqa: E402
import tritonclient.grpc as grpcclient  # noqa: E402
import tritonclient.grpc.aio as grpcaio  # noqa: E402
import tritonclient.http as httpclient  # noqa: E402
import tritonclient.http.aio as httpaio  # noqa: E402
from tritonclient.utils import InferenceServerException  # noqa: E402

# Functions, not dicts: tritonclient.http adds its own entries (Inference-Header-Content-Length,
# an int) to the headers dict it is given, which gRPC metadata would then refuse.
def api_key():
    return {"x-api-key": "compat-key"}


def admin_key():
    return {"x-admin-key": "compat-admin"}


def grpc_api_key():
    return {"triton-grpc-protocol-x-api-key": "compat-key"}


def grpc_admin_key():
    return {"triton-grpc-protocol-x-admin-key": "compat-admin"}


HTTP_REFUSAL = "This API is restricted, expecting header '{}'"
GRPC_REFUSAL = "This protocol is restricted, expecting header 'triton-grpc-protocol-{}'"

ARGS = None
CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def refused(fn, status, message):
    """fn must raise InferenceServerException with `status` and exactly `message`."""
    try:
        fn()
    except InferenceServerException as e:
        expect(str(e.status()) == status, f"status {e.status()!r}, expected {status!r} ({e.message()!r})")
        expect(e.message() == message, f"message {e.message()!r}, expected {message!r}")
        return
    raise AssertionError("the call was served without the header")


def simple_inputs(mod):
    in0 = np.arange(16, dtype=np.int32).reshape(1, 16)
    in1 = np.ones((1, 16), dtype=np.int32)
    inputs = [mod.InferInput("INPUT0", [1, 16], "INT32"), mod.InferInput("INPUT1", [1, 16], "INT32")]
    inputs[0].set_data_from_numpy(in0)
    inputs[1].set_data_from_numpy(in1)
    return inputs, in0 + in1


def expect_sum(result, expected):
    out = result.as_numpy("OUTPUT0")
    expect(np.array_equal(out, expected), f"OUTPUT0 {out}")


@check
def http_inference():
    c = httpclient.InferenceServerClient(ARGS.http_url)
    inputs, expected = simple_inputs(httpclient)
    refused(lambda: c.infer("simple", inputs), "403", HTTP_REFUSAL.format("x-api-key"))
    refused(lambda: c.infer("simple", inputs, headers={"x-api-key": "wrong"}), "403", HTTP_REFUSAL.format("x-api-key"))
    expect_sum(c.infer("simple", inputs, headers=api_key()), expected)
    expect(c.is_server_live() and c.is_server_ready(), "health should stay open")
    expect(c.get_model_metadata("simple")["name"] == "simple", "metadata should stay open")


@check
def http_admin():
    c = httpclient.InferenceServerClient(ARGS.http_url)
    refused(lambda: c.get_model_repository_index(), "403", HTTP_REFUSAL.format("x-admin-key"))
    refused(lambda: c.get_log_settings(headers=api_key()), "403", HTTP_REFUSAL.format("x-admin-key"))
    expect(len(c.get_model_repository_index(headers=admin_key())) > 0, "repository index")
    expect("log_verbose_level" in c.get_log_settings(headers=admin_key()), "log settings")


@check
def http_aio_inference():
    async def main():
        c = httpaio.InferenceServerClient(ARGS.http_url)
        try:
            inputs, expected = simple_inputs(httpaio)
            try:
                await c.infer("simple", inputs)
                raise AssertionError("served without the header")
            except InferenceServerException as e:
                expect(str(e.status()) == "403", f"status {e.status()!r}")
            expect_sum(await c.infer("simple", inputs, headers=api_key()), expected)
        finally:
            await c.close()

    asyncio.run(main())


@check
def grpc_inference():
    c = grpcclient.InferenceServerClient(ARGS.grpc_url)
    inputs, expected = simple_inputs(grpcclient)
    refused(lambda: c.infer("simple", inputs), "StatusCode.UNAVAILABLE", GRPC_REFUSAL.format("x-api-key"))
    refused(lambda: c.infer("simple", inputs, headers=api_key()), "StatusCode.UNAVAILABLE", GRPC_REFUSAL.format("x-api-key"))
    expect_sum(c.infer("simple", inputs, headers=grpc_api_key()), expected)
    expect(c.is_server_live() and c.is_model_ready("simple"), "health should stay open")


@check
def grpc_admin():
    c = grpcclient.InferenceServerClient(ARGS.grpc_url)
    refusal = GRPC_REFUSAL.format("x-admin-key")
    refused(lambda: c.get_model_repository_index(), "StatusCode.UNAVAILABLE", refusal)
    refused(lambda: c.get_log_settings(headers=grpc_api_key()), "StatusCode.UNAVAILABLE", refusal)
    refused(lambda: c.get_trace_settings(), "StatusCode.UNAVAILABLE", refusal)
    expect(len(c.get_model_repository_index(headers=grpc_admin_key()).models) > 0, "repository index")
    c.get_log_settings(headers=grpc_admin_key())
    c.get_trace_settings(headers=grpc_admin_key())


def stream_once(headers):
    c = grpcclient.InferenceServerClient(ARGS.grpc_url)
    results = queue.Queue()
    c.start_stream(callback=lambda result, error: results.put((result, error)), headers=headers)
    try:
        inputs, expected = simple_inputs(grpcclient)
        try:
            c.async_stream_infer("simple", inputs)
        except InferenceServerException:
            pass  # the stream already ended (a refused stream can end first); its error is in the callback
        return results.get(timeout=ARGS.timeout), expected
    finally:
        c.stop_stream()
        c.close()


@check
def grpc_stream_inference():
    (result, error), _ = stream_once(None)
    expect(result is None and error is not None, "stream served without the header")
    expect(str(error.status()) == "StatusCode.UNAVAILABLE", f"status {error.status()!r}")
    expect(error.message() == GRPC_REFUSAL.format("x-api-key"), f"message {error.message()!r}")
    (result, error), expected = stream_once(grpc_api_key())
    expect(error is None, f"stream error {error}")
    expect_sum(result, expected)


@check
def grpc_aio_inference():
    async def main():
        c = grpcaio.InferenceServerClient(ARGS.grpc_url)
        try:
            inputs, expected = simple_inputs(grpcaio)
            try:
                await c.infer("simple", inputs)
                raise AssertionError("served without the header")
            except InferenceServerException as e:
                expect(str(e.status()) == "StatusCode.UNAVAILABLE", f"status {e.status()!r}")
            expect_sum(await c.infer("simple", inputs, headers=grpc_api_key()), expected)
        finally:
            await c.close()

    asyncio.run(main())


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--http-url", default="127.0.0.1:8000")
    p.add_argument("--grpc-url", default="127.0.0.1:8001")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("-v", "--verbose", action="store_true")
    ARGS = p.parse_args()
    passed = failed = 0
    for fn in CHECKS:
        try:
            fn()
            print(f"PASS {fn.__name__}", flush=True)
            passed += 1
        except Exception as e:  # noqa: BLE001 - report every failure
            print(f"FAIL {fn.__name__}: {type(e).__name__}: {e}", flush=True)
            if ARGS.verbose:
                traceback.print_exc()
            failed += 1
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
