#!/usr/bin/python3
"""Triton / KServe v2 compatibility checks for tensorgate, using the official
Triton Python client (tritonclient: grpc, grpc.aio, http, http.aio, streaming).

Run (Debian python, NOT the pyenv one):
    TRITONCLIENT_PATH=<dir> /usr/bin/python3 compat/tritonclient/run_compat.py --http-url 127.0.0.1:8000 --grpc-url 127.0.0.1:8001

Useful options:
    -k SUBSTR        only run checks whose name contains SUBSTR (repeatable)
    --list           list check names and exit
    --skip-big       skip the 19 MB identity_fp32 checks
    --model-control-mode none|explicit   what load/unload should do (default none)
    --check-timeout  hard per-check wall limit in seconds (default 120)
    -v               print tracebacks for failures

Expected models (Triton classic example interfaces):
    simple         max_batch_size 8; INPUT0/INPUT1 INT32 [16] -> OUTPUT0 = sum, OUTPUT1 = diff
    simple_string  same with BYTES (TYPE_STRING) holding decimal integers as text
    identity_fp32  max_batch_size 0; INPUT0 FP32 [-1] -> OUTPUT0 identical
    repeat_int32   decoupled; IN INT32 [-1], DELAY UINT32 [-1], WAIT UINT32 [1] -> OUT INT32 [1], IDX UINT32 [1]
    sleep_ms       INPUT0 UINT32 [1] -> sleeps INPUT0 ms; OUTPUT0 = INPUT0

Every check prints one PASS/FAIL line; the last line is "N passed, M failed";
exit status is 1 if anything failed.
"""
import argparse
import asyncio
import os
import queue
import signal
import socket
import sys
import threading
import time
import traceback
from functools import partial

# Where the tritonclient Python package lives (see README.md beside this file).
sys.path.insert(0, os.environ.get("TRITONCLIENT_PATH", "/work/compat/src"))

# The deps are Debian packages for /usr/bin/python3; if started by another python
# (e.g. a pyenv shim first on PATH) that lacks them, re-exec under /usr/bin/python3.
try:
    import aiohttp, gevent, geventhttpclient, google.protobuf, grpc, numpy, rapidjson  # noqa: F401,E401
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

import gevent  # noqa: E402
import numpy as np  # noqa: E402

import tritonclient.grpc as grpcclient  # noqa: E402
import tritonclient.grpc.aio as grpcaio  # noqa: E402
import tritonclient.http as httpclient  # noqa: E402
import tritonclient.http.aio as httpaio  # noqa: E402
from tritonclient.grpc import model_config_pb2  # noqa: E402
from tritonclient.utils import InferenceServerException  # noqa: E402

ARGS = None
CHECKS = []
MODELS = ["simple", "simple_string", "identity_fp32", "repeat_int32", "sleep_ms", "lstm_timeseries", "image_classifier"]
BIG_N = 4_750_000  # 19,000,000 bytes of FP32


def check(name):
    def deco(fn):
        CHECKS.append((name, fn))
        return fn

    return deco


class CheckFailed(AssertionError):
    pass


def expect(cond, msg):
    if not cond:
        raise CheckFailed(msg)


# --------------------------------------------------------------------------
# client factories (each check makes and closes its own clients)
# --------------------------------------------------------------------------
class _HttpCtx:
    def __init__(self, **kw):
        # errors are re-raised to the caller; don't let gevent's hub also dump them to stderr
        gevent.get_hub().exception_stream = None
        kw.setdefault("connection_timeout", ARGS.timeout)
        kw.setdefault("network_timeout", ARGS.timeout)
        self.c = httpclient.InferenceServerClient(ARGS.http_url, **kw)

    def __enter__(self):
        return self.c

    def __exit__(self, *a):
        try:
            self.c.close()
        except Exception:
            pass


def http(**kw):
    return _HttpCtx(**kw)


class _GrpcCtx:
    def __init__(self):
        self.c = grpcclient.InferenceServerClient(ARGS.grpc_url)

    def __enter__(self):
        return self.c

    def __exit__(self, *a):
        try:
            self.c.stop_stream(cancel_requests=True)
        except Exception:
            pass
        try:
            self.c.close()
        except Exception:
            pass


def grpc_():
    return _GrpcCtx()


def haio(**kw):
    kw.setdefault("conn_timeout", ARGS.timeout)
    return httpaio.InferenceServerClient(ARGS.http_url, **kw)


def gaio():
    return grpcaio.InferenceServerClient(ARGS.grpc_url)


def T():
    return ARGS.timeout


# --------------------------------------------------------------------------
# data helpers
# --------------------------------------------------------------------------
def simple_data(batch=1):
    in0 = np.tile(np.arange(16, dtype=np.int32), (batch, 1))
    in1 = np.ones((batch, 16), dtype=np.int32)
    return in0, in1


def simple_inputs(mod, in0, in1, bin0=None, bin1=None, dtype="INT32"):
    i0 = mod.InferInput("INPUT0", list(in0.shape), dtype)
    i1 = mod.InferInput("INPUT1", list(in1.shape), dtype)
    if bin0 is None:  # grpc
        i0.set_data_from_numpy(in0)
        i1.set_data_from_numpy(in1)
    else:
        i0.set_data_from_numpy(in0, binary_data=bin0)
        i1.set_data_from_numpy(in1, binary_data=bin1)
    return [i0, i1]


def check_simple_result(res, in0, in1):
    o0 = res.as_numpy("OUTPUT0")
    o1 = res.as_numpy("OUTPUT1")
    expect(o0 is not None, "OUTPUT0 missing from response")
    expect(o1 is not None, "OUTPUT1 missing from response")
    expect(o0.shape == in0.shape, f"OUTPUT0 shape {o0.shape} != {in0.shape}")
    expect(o1.shape == in0.shape, f"OUTPUT1 shape {o1.shape} != {in0.shape}")
    expect(o0.dtype == np.int32, f"OUTPUT0 dtype {o0.dtype}")
    expect(np.array_equal(o0, in0 + in1), f"OUTPUT0 wrong: {o0.ravel()[:16]}")
    expect(np.array_equal(o1, in0 - in1), f"OUTPUT1 wrong: {o1.ravel()[:16]}")


def string_data():
    in0 = np.arange(16, dtype=np.int32).reshape(1, 16)
    in1 = np.ones((1, 16), dtype=np.int32)
    s0 = np.array([str(x).encode("utf-8") for x in in0.reshape(16)], dtype=np.object_).reshape(1, 16)
    s1 = np.array([str(x).encode("utf-8") for x in in1.reshape(16)], dtype=np.object_).reshape(1, 16)
    return in0, in1, s0, s1


def check_string_result(res, in0, in1):
    o0 = res.as_numpy("OUTPUT0")
    o1 = res.as_numpy("OUTPUT1")
    expect(o0 is not None and o1 is not None, "outputs missing")
    expect(o0.shape == (1, 16), f"OUTPUT0 shape {o0.shape}")
    for i in range(16):
        r0 = int(o0[0][i])
        r1 = int(o1[0][i])
        expect(r0 == in0[0][i] + in1[0][i], f"OUTPUT0[{i}]={o0[0][i]!r}")
        expect(r1 == in0[0][i] - in1[0][i], f"OUTPUT1[{i}]={o1[0][i]!r}")


_BIG = None


def big_fp32():
    """~19 MB FP32 tensor with random values plus special values (bit-exactness)."""
    global _BIG
    if _BIG is None:
        rng = np.random.default_rng(1234)
        a = rng.standard_normal(BIG_N).astype(np.float32)
        specials = np.array(
            [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1.1754944e-38,
             3.4028235e38, -3.4028235e38, 1.0, -1.0],
            dtype=np.float32,
        )
        a[: len(specials)] = specials
        a[-len(specials):] = specials
        _BIG = a
    return _BIG


def bits_equal(a, b):
    a = np.ascontiguousarray(a, dtype=np.float32)
    b = np.ascontiguousarray(b, dtype=np.float32)
    if a.shape != b.shape:
        return False, f"shape {b.shape} != {a.shape}"
    ua, ub = a.view(np.uint32), b.view(np.uint32)
    diff = np.nonzero(ua != ub)[0]
    if len(diff):
        i = diff[0]
        return False, (f"{len(diff)} mismatching elements, first at {i}: "
                       f"sent 0x{ua[i]:08x} got 0x{ub[i]:08x}")
    return True, ""


def nan_payload_data():
    u = np.array([0x7FC00001, 0xFFC12345, 0x7F800001, 0xFFBFFFFF, 0x7FC00000, 0x00000001],
                 dtype=np.uint32)
    return u.view(np.float32)


_SLEEP_SHAPE = None


def sleep_shape():
    """[1] if sleep_ms has max_batch_size 0, [1,1] if it batches."""
    global _SLEEP_SHAPE
    if _SLEEP_SHAPE is None:
        shape = [1]
        try:
            with grpc_() as c:
                cfg = c.get_model_config("sleep_ms", client_timeout=T()).config
                if cfg.max_batch_size > 0:
                    shape = [1, 1]
        except Exception:
            pass
        _SLEEP_SHAPE = shape
    return _SLEEP_SHAPE


def sleep_input(mod, ms, binary=None):
    shape = sleep_shape()
    arr = np.array([ms], dtype=np.uint32).reshape(shape)
    i = mod.InferInput("INPUT0", shape, "UINT32")
    if binary is None:
        i.set_data_from_numpy(arr)
    else:
        i.set_data_from_numpy(arr, binary_data=binary)
    return [i]


def repeat_inputs(values, delays=None, wait=0, mod=grpcclient):
    values = np.array(values, dtype=np.int32)
    if delays is None:
        delays = [10] * len(values)
    delays = np.array(delays, dtype=np.uint32)
    ins = [
        mod.InferInput("IN", [len(values)], "INT32"),
        mod.InferInput("DELAY", [len(delays)], "UINT32"),
        mod.InferInput("WAIT", [1], "UINT32"),
    ]
    ins[0].set_data_from_numpy(values)
    ins[1].set_data_from_numpy(delays)
    ins[2].set_data_from_numpy(np.array([wait], dtype=np.uint32))
    return ins


def ise(exc):
    return f"{type(exc).__name__}(status={getattr(exc, 'status', lambda: None)()!r}, msg={_msg(exc)!r})"


def _msg(exc):
    try:
        return exc.message()
    except Exception:
        return str(exc)


def expect_http_error(fn, mentions=(), statuses=None, allow_5xx=False):
    """Call fn; it must raise InferenceServerException with a 4xx status and a
    server-provided JSON {"error": ...} message mentioning `mentions`."""
    try:
        fn()
    except InferenceServerException as e:
        st, msg = e.status(), _msg(e) or ""
        expect("exception occurred in the client while decoding" not in msg,
               f"error body was not JSON {{\"error\": ...}}: {ise(e)}")
        ok_status = st is not None and (str(st).startswith("4") or (allow_5xx and str(st).startswith("5")))
        expect(ok_status, f"expected a 4xx status, got {ise(e)}")
        expect(msg.strip() != "", f"empty error message: {ise(e)}")
        if statuses:
            expect(str(st) in statuses, f"expected status in {statuses}, got {ise(e)}")
        for m in mentions:
            expect(m.lower() in msg.lower(), f"message should mention {m!r}: {ise(e)}")
        return f"status={st} msg={msg!r}"
    raise CheckFailed("expected InferenceServerException, call succeeded")


BAD_GRPC = {"StatusCode.UNKNOWN", "StatusCode.INTERNAL", "StatusCode.UNIMPLEMENTED",
            "StatusCode.CANCELLED", "StatusCode.DEADLINE_EXCEEDED", "StatusCode.OK",
            "StatusCode.UNAVAILABLE", None}


def expect_grpc_error(fn, mentions=(), statuses=None, allow=()):
    """Call fn; it must raise InferenceServerException with a sensible gRPC status
    (INVALID_ARGUMENT / NOT_FOUND / FAILED_PRECONDITION ...; `allow` adds more) and a
    non-empty message mentioning `mentions`."""
    try:
        fn()
    except InferenceServerException as e:
        st, msg = e.status(), _msg(e) or ""
        expect("failed to connect to all addresses" not in msg, f"could not connect: {ise(e)}")
        expect(st not in BAD_GRPC or st in allow, f"unexpected gRPC status: {ise(e)}")
        if statuses:
            expect(st in statuses, f"expected status in {statuses}, got {ise(e)}")
        expect(msg.strip() != "", f"empty error message: {ise(e)}")
        for m in mentions:
            expect(m.lower() in msg.lower(), f"message should mention {m!r}: {ise(e)}")
        return f"status={st} msg={msg!r}"
    raise CheckFailed("expected InferenceServerException, call succeeded")


# ==========================================================================
# server / model APIs
# ==========================================================================
@check("http.health.live_ready")
def _():
    with http() as c:
        expect(c.is_server_live() is True, "is_server_live != True")
        expect(c.is_server_ready() is True, "is_server_ready != True")


@check("grpc.health.live_ready")
def _():
    with grpc_() as c:
        expect(c.is_server_live(client_timeout=T()) is True, "is_server_live != True")
        expect(c.is_server_ready(client_timeout=T()) is True, "is_server_ready != True")


@check("http.server_metadata")
def _():
    with http() as c:
        md = c.get_server_metadata()
    expect(isinstance(md, dict), f"not a JSON object: {md!r}")
    for k in ("name", "version", "extensions"):
        expect(k in md, f"missing {k!r}: {md}")
    expect(isinstance(md["extensions"], list), f"extensions not a list: {md}")
    return f"{md}"


@check("grpc.server_metadata")
def _():
    with grpc_() as c:
        md = c.get_server_metadata(client_timeout=T())
        mj = c.get_server_metadata(as_json=True, client_timeout=T())
    expect(md.name != "" and md.version != "", f"empty name/version: {md}")
    expect(mj.get("name") == md.name, f"as_json mismatch {mj}")
    return f"name={md.name} version={md.version} extensions={list(md.extensions)}"


def _check_simple_metadata(md):
    expect(md["name"] == "simple", f"name {md.get('name')}")
    ins = {t["name"]: t for t in md["inputs"]}
    outs = {t["name"]: t for t in md["outputs"]}
    expect(set(ins) == {"INPUT0", "INPUT1"}, f"inputs {list(ins)}")
    expect(set(outs) == {"OUTPUT0", "OUTPUT1"}, f"outputs {list(outs)}")
    for t in list(ins.values()) + list(outs.values()):
        expect(t["datatype"] == "INT32", f"{t['name']} datatype {t['datatype']}")
        expect([int(x) for x in t["shape"]] == [-1, 16], f"{t['name']} shape {t['shape']} (expected [-1,16])")


@check("http.model_metadata.simple")
def _():
    with http() as c:
        md = c.get_model_metadata("simple")
    _check_simple_metadata(md)
    return f"versions={md.get('versions')} platform={md.get('platform')!r}"


@check("grpc.model_metadata.simple")
def _():
    with grpc_() as c:
        md = c.get_model_metadata("simple", as_json=True, client_timeout=T())
        pb = c.get_model_metadata("simple", client_timeout=T())
    _check_simple_metadata(md)
    expect(list(pb.inputs[0].shape) == [-1, 16], f"proto shape {list(pb.inputs[0].shape)}")
    return f"versions={list(pb.versions)} platform={pb.platform!r}"


@check("http.model_metadata.all_models")
def _():
    out = []
    with http() as c:
        for m in MODELS:
            md = c.get_model_metadata(m)
            expect(md.get("name") == m, f"{m}: name {md.get('name')}")
            out.append(f"{m}:{[(t['name'], t['datatype'], t['shape']) for t in md['inputs']]}")
    return "; ".join(out)


def _dims(lst):
    return [int(x) for x in lst]


@check("http.model_config.simple")
def _():
    with http() as c:
        cfg = c.get_model_config("simple")
    # Triton's HTTP endpoint returns the ModelConfig JSON itself (not {"config": ...})
    expect("config" not in cfg or "name" in cfg,
           "response looks wrapped in {'config': ...}; Triton returns the config object directly")
    expect(cfg.get("name") == "simple", f"name {cfg.get('name')}")
    expect(int(cfg.get("max_batch_size", -1)) == 8, f"max_batch_size {cfg.get('max_batch_size')}")
    ins = {t["name"]: t for t in cfg.get("input", [])}
    expect(set(ins) == {"INPUT0", "INPUT1"}, f"input {list(ins)}")
    expect(ins["INPUT0"].get("data_type") == "TYPE_INT32", f"data_type {ins['INPUT0'].get('data_type')}")
    expect(_dims(ins["INPUT0"].get("dims", [])) == [16], f"dims {ins['INPUT0'].get('dims')}")
    outs = {t["name"] for t in cfg.get("output", [])}
    expect(outs == {"OUTPUT0", "OUTPUT1"}, f"output {outs}")


@check("grpc.model_config.simple")
def _():
    with grpc_() as c:
        cfg = c.get_model_config("simple", client_timeout=T()).config
        cj = c.get_model_config("simple", as_json=True, client_timeout=T())
    expect(cfg.name == "simple", f"name {cfg.name}")
    expect(cfg.max_batch_size == 8, f"max_batch_size {cfg.max_batch_size}")
    ins = {t.name: t for t in cfg.input}
    expect(set(ins) == {"INPUT0", "INPUT1"}, f"inputs {list(ins)}")
    expect(ins["INPUT0"].data_type == model_config_pb2.TYPE_INT32, f"data_type {ins['INPUT0'].data_type}")
    expect(list(ins["INPUT0"].dims) == [16], f"dims {list(ins['INPUT0'].dims)}")
    expect("config" in cj, f"as_json {list(cj)}")


@check("grpc.model_config.all_models")
def _():
    info = []
    with grpc_() as c:
        cfgs = {m: c.get_model_config(m, client_timeout=T()).config for m in MODELS}
    expect(cfgs["identity_fp32"].max_batch_size == 0, "identity_fp32 max_batch_size != 0")
    expect(cfgs["repeat_int32"].model_transaction_policy.decoupled is True,
           "repeat_int32 model_transaction_policy.decoupled != true")
    st = cfgs["simple_string"]
    expect(all(t.data_type == model_config_pb2.TYPE_STRING for t in st.input),
           "simple_string inputs not TYPE_STRING")
    for m, cfg in cfgs.items():
        info.append(f"{m}(mbs={cfg.max_batch_size},backend={cfg.backend or cfg.platform})")
    return " ".join(info)


@check("http.model_ready")
def _():
    with http() as c:
        expect(c.is_model_ready("simple") is True, "simple not ready")
        expect(c.is_model_ready("no_such_model_xyz") is False, "unknown model reported ready")
        v = (c.get_model_metadata("simple").get("versions") or ["1"])[0]
        expect(c.is_model_ready("simple", str(v)) is True, f"simple version {v} not ready")
        expect(c.is_model_ready("simple", "987654") is False, "simple version 987654 reported ready")
    return f"version {v} ready"


@check("grpc.model_ready")
def _():
    with grpc_() as c:
        expect(c.is_model_ready("simple", client_timeout=T()) is True, "simple not ready")
        try:
            r = c.is_model_ready("no_such_model_xyz", client_timeout=T())
        except InferenceServerException as e:
            raise CheckFailed(f"unknown model: expected ready=False, got error {ise(e)} "
                              "(Triton answers ready=false without an error)")
        expect(r is False, "unknown model reported ready")
        md = c.get_model_metadata("simple", client_timeout=T())
        v = (list(md.versions) or ["1"])[0]
        expect(c.is_model_ready("simple", str(v), client_timeout=T()) is True, f"version {v} not ready")
    return f"version {v} ready"


@check("http.repository_index")
def _():
    with http() as c:
        idx = c.get_model_repository_index()
    expect(isinstance(idx, list), f"expected a JSON array, got {type(idx).__name__}: {idx!r:.200}")
    names = {m.get("name"): m for m in idx}
    missing = [m for m in MODELS if m not in names]
    expect(not missing, f"missing models {missing} in {list(names)}")
    expect(names["simple"].get("state") == "READY", f"simple state {names['simple'].get('state')}")
    return f"{idx}"


@check("grpc.repository_index")
def _():
    with grpc_() as c:
        idx = c.get_model_repository_index(client_timeout=T())
        ij = c.get_model_repository_index(as_json=True, client_timeout=T())
    names = {m.name: m for m in idx.models}
    missing = [m for m in MODELS if m not in names]
    expect(not missing, f"missing models {missing} in {list(names)}")
    expect(names["simple"].state == "READY", f"simple state {names['simple'].state!r}")
    expect("models" in ij, "as_json lacks 'models'")
    return f"{[(m.name, m.version, m.state) for m in idx.models]}"


@check("http.statistics")
def _():
    in0, in1 = simple_data()
    with http() as c:
        c.infer("simple", simple_inputs(httpclient, in0, in1, True, True))
        st = c.get_inference_statistics(model_name="simple")
        allst = c.get_inference_statistics()
        err = expect_http_error(lambda: c.get_inference_statistics(model_name="no_such_model_xyz"))
    ms = st.get("model_stats")
    expect(isinstance(ms, list) and len(ms) == 1, f"model_stats len != 1: {st}")
    s = ms[0]
    expect(s.get("name") == "simple", f"name {s.get('name')}")
    succ = s.get("inference_stats", {}).get("success", {})
    expect(int(succ.get("count", 0)) >= 1, f"inference_stats.success.count {succ}")
    for k in ("inference_count", "execution_count", "last_inference"):
        expect(k in s, f"missing {k} in {s}")
    names = {m.get("name") for m in allst.get("model_stats", [])}
    expect("simple" in names, f"all-model stats lacks simple: {names}")
    return f"success={succ} unknown-model error: {err}"


@check("grpc.statistics")
def _():
    in0, in1 = simple_data()
    with grpc_() as c:
        c.infer("simple", simple_inputs(grpcclient, in0, in1), client_timeout=T())
        st = c.get_inference_statistics(model_name="simple", client_timeout=T())
        allst = c.get_inference_statistics(client_timeout=T())
        err = expect_grpc_error(lambda: c.get_inference_statistics("no_such_model_xyz", client_timeout=T()),
                                allow=("StatusCode.UNAVAILABLE",))
    expect(len(st.model_stats) == 1, f"model_stats len {len(st.model_stats)}")
    s = st.model_stats[0]
    expect(s.name == "simple", f"name {s.name}")
    expect(s.inference_stats.success.count >= 1, f"success.count {s.inference_stats.success.count}")
    expect(s.inference_count >= 1, f"inference_count {s.inference_count}")
    expect("simple" in {m.name for m in allst.model_stats}, "all-model stats lacks simple")
    return f"success.count={s.inference_stats.success.count}; unknown-model error: {err}"


@check("http.metadata.unknown_model")
def _():
    with http() as c:
        a = expect_http_error(lambda: c.get_model_metadata("no_such_model_xyz"), ["no_such_model_xyz"])
        b = expect_http_error(lambda: c.get_model_config("no_such_model_xyz"), ["no_such_model_xyz"])
    return f"metadata: {a}; config: {b}"


@check("grpc.metadata.unknown_model")
def _():
    with grpc_() as c:
        a = expect_grpc_error(lambda: c.get_model_metadata("no_such_model_xyz", client_timeout=T()),
                              ["no_such_model_xyz"], allow=("StatusCode.UNAVAILABLE",))
        b = expect_grpc_error(lambda: c.get_model_config("no_such_model_xyz", client_timeout=T()),
                              ["no_such_model_xyz"], allow=("StatusCode.UNAVAILABLE",))
    return f"metadata: {a}; config: {b}"


# ==========================================================================
# simple (HTTP)
# ==========================================================================
@check("http.simple.infer_mixed_binary")
def _():
    # exactly simple_http_infer_client.py test_infer()
    in0, in1 = simple_data()
    with http() as c:
        res = c.infer(
            "simple",
            simple_inputs(httpclient, in0, in1, False, True),
            outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=True),
                     httpclient.InferRequestedOutput("OUTPUT1", binary_data=False)],
            query_params={"test_1": 1, "test_2": 2},
        )
    check_simple_result(res, in0, in1)
    r = res.get_response()
    expect(r.get("model_name") == "simple", f"model_name {r.get('model_name')}")
    o0, o1 = res.get_output("OUTPUT0"), res.get_output("OUTPUT1")
    expect((o0.get("parameters") or {}).get("binary_data_size") == 64 and "data" not in o0,
           f"OUTPUT0 should be binary (binary_data_size 64, no data): {o0}")
    expect("data" in o1 and not (o1.get("parameters") or {}).get("binary_data_size"),
           f"OUTPUT1 should be JSON data: {o1}")
    return f"{r}"


@check("http.simple.infer_no_outputs")
def _():
    # simple_http_infer_client.py test_infer_no_outputs(): client sets binary_data_output=true
    in0, in1 = simple_data()
    with http() as c:
        res = c.infer("simple", simple_inputs(httpclient, in0, in1, False, True), outputs=None,
                      query_params={"test_1": 1, "test_2": 2})
    check_simple_result(res, in0, in1)
    for n in ("OUTPUT0", "OUTPUT1"):
        o = res.get_output(n)
        expect((o.get("parameters") or {}).get("binary_data_size") == 64,
               f"{n} should be binary because parameters.binary_data_output=true: {o}")


@check("http.simple.infer_all_json")
def _():
    in0, in1 = simple_data()
    with http() as c:
        res = c.infer("simple", simple_inputs(httpclient, in0, in1, False, False),
                      outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=False),
                               httpclient.InferRequestedOutput("OUTPUT1", binary_data=False)])
    check_simple_result(res, in0, in1)
    for n in ("OUTPUT0", "OUTPUT1"):
        expect("data" in res.get_output(n), f"{n} not JSON")


@check("http.simple.infer_all_binary")
def _():
    in0, in1 = simple_data()
    with http() as c:
        res = c.infer("simple", simple_inputs(httpclient, in0, in1, True, True),
                      outputs=[httpclient.InferRequestedOutput("OUTPUT1", binary_data=True),
                               httpclient.InferRequestedOutput("OUTPUT0", binary_data=True)])
    check_simple_result(res, in0, in1)


@check("http.simple.request_id_and_version")
def _():
    in0, in1 = simple_data()
    with http() as c:
        v = str((c.get_model_metadata("simple").get("versions") or ["1"])[0])
        res = c.infer("simple", simple_inputs(httpclient, in0, in1, True, True),
                      request_id="compat-req-42", model_version=v)
    check_simple_result(res, in0, in1)
    r = res.get_response()
    expect(r.get("id") == "compat-req-42", f"id not echoed: {r.get('id')!r}")
    expect(str(r.get("model_version")) == v, f"model_version {r.get('model_version')!r} != {v!r}")


@check("http.simple.batch2")
def _():
    in0, in1 = simple_data(batch=2)
    in0[1] *= 3
    with http() as c:
        res = c.infer("simple", simple_inputs(httpclient, in0, in1, True, False))
    check_simple_result(res, in0, in1)


@check("http.simple.compression_gzip")
def _():
    in0, in1 = simple_data()
    with http() as c:
        res = c.infer("simple", simple_inputs(httpclient, in0, in1, False, True),
                      outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=True),
                               httpclient.InferRequestedOutput("OUTPUT1", binary_data=False)],
                      request_compression_algorithm="gzip", response_compression_algorithm="gzip")
    check_simple_result(res, in0, in1)


@check("http.simple.compression_deflate")
def _():
    in0, in1 = simple_data()
    with http() as c:
        res = c.infer("simple", simple_inputs(httpclient, in0, in1, True, True),
                      request_compression_algorithm="deflate", response_compression_algorithm="deflate")
    check_simple_result(res, in0, in1)


@check("http.simple.custom_parameters")
def _():
    in0, in1 = simple_data()
    with http() as c:
        res = c.infer("simple", simple_inputs(httpclient, in0, in1, True, True),
                      parameters={"compat_str": "x", "compat_int": 3, "compat_bool": True})
    check_simple_result(res, in0, in1)


@check("http.simple.headers")
def _():
    in0, in1 = simple_data()
    with http() as c:
        res = c.infer("simple", simple_inputs(httpclient, in0, in1, True, True),
                      headers={"X-Compat-Test": "1", "Authorization": "Bearer dummy"})
    check_simple_result(res, in0, in1)


@check("http.simple.async_infer")
def _():
    # simple_http_async_infer_client.py
    in0, in1 = simple_data()
    with http(concurrency=2) as c:
        ins = simple_inputs(httpclient, in0, in1, True, True)
        outs = [httpclient.InferRequestedOutput("OUTPUT0", binary_data=True),
                httpclient.InferRequestedOutput("OUTPUT1", binary_data=True)]
        reqs = [c.async_infer("simple", ins, outputs=outs) for _ in range(4)]
        for r in reqs:
            check_simple_result(r.get_result(timeout=T()), in0, in1)


@check("http.aio.simple")
def _():
    # simple_http_aio_infer_client.py
    in0, in1 = simple_data()

    async def main():
        c = haio()
        try:
            expect(await c.is_server_live() is True, "aio is_server_live")
            expect(await c.is_model_ready("simple") is True, "aio is_model_ready")
            md = await c.get_model_metadata("simple")
            _check_simple_metadata(md)
            outs = [httpaio.InferRequestedOutput("OUTPUT0", binary_data=True),
                    httpaio.InferRequestedOutput("OUTPUT1", binary_data=False)]
            res = await c.infer("simple", simple_inputs(httpaio, in0, in1, False, True),
                                outputs=outs, query_params={"test_1": 1, "test_2": 2})
            check_simple_result(res, in0, in1)
            r1, r2 = await asyncio.gather(
                c.infer("simple", simple_inputs(httpaio, in0, in1, False, True), outputs=None),
                c.infer("simple", simple_inputs(httpaio, in0, in1, True, True), outputs=None,
                        request_compression_algorithm="gzip", response_compression_algorithm="gzip"),
            )
            check_simple_result(r1, in0, in1)
            check_simple_result(r2, in0, in1)
            st = await c.get_inference_statistics("simple")
            expect(len(st["model_stats"]) == 1, "stats")
            try:
                await c.infer("no_such_model_xyz", simple_inputs(httpaio, in0, in1, True, True))
                raise CheckFailed("unknown model: no error")
            except InferenceServerException as e:
                expect(str(e.status()).startswith("4"), f"unknown model: {ise(e)}")
        finally:
            await c.close()

    asyncio.run(main())


# ==========================================================================
# simple (gRPC)
# ==========================================================================
@check("grpc.simple.infer")
def _():
    # simple_grpc_infer_client.py
    in0, in1 = simple_data()
    with grpc_() as c:
        res = c.infer("simple", simple_inputs(grpcclient, in0, in1),
                      outputs=[grpcclient.InferRequestedOutput("OUTPUT0"),
                               grpcclient.InferRequestedOutput("OUTPUT1")],
                      client_timeout=T(), headers={"test": "1"})
        check_simple_result(res, in0, in1)
        st = c.get_inference_statistics(model_name="simple", client_timeout=T())
        expect(len(st.model_stats) == 1, "FAILED: Inference Statistics")
        r = res.get_response()
        expect(r.model_name == "simple", f"model_name {r.model_name!r}")
        expect(len(r.raw_output_contents) == len(r.outputs) == 2,
               f"expected 2 outputs and 2 raw_output_contents, got {len(r.outputs)}/{len(r.raw_output_contents)}")
        res2 = c.infer("simple", simple_inputs(grpcclient, in0, in1), outputs=None, client_timeout=T())
        check_simple_result(res2, in0, in1)
    return f"outputs={[o.name for o in r.outputs]} model_version={r.model_version!r}"


@check("grpc.simple.request_id_and_version")
def _():
    in0, in1 = simple_data()
    with grpc_() as c:
        v = str((list(c.get_model_metadata("simple", client_timeout=T()).versions) or ["1"])[0])
        res = c.infer("simple", simple_inputs(grpcclient, in0, in1), request_id="compat-req-43",
                      model_version=v, client_timeout=T())
    check_simple_result(res, in0, in1)
    r = res.get_response()
    expect(r.id == "compat-req-43", f"id not echoed: {r.id!r}")
    expect(r.model_version == v, f"model_version {r.model_version!r} != {v!r}")


@check("grpc.simple.batch2")
def _():
    in0, in1 = simple_data(batch=2)
    in0[1] *= 5
    with grpc_() as c:
        res = c.infer("simple", simple_inputs(grpcclient, in0, in1), client_timeout=T())
    check_simple_result(res, in0, in1)


@check("grpc.simple.compression_gzip")
def _():
    in0, in1 = simple_data()
    with grpc_() as c:
        res = c.infer("simple", simple_inputs(grpcclient, in0, in1), compression_algorithm="gzip",
                      client_timeout=T())
    check_simple_result(res, in0, in1)


@check("grpc.simple.compression_deflate")
def _():
    in0, in1 = simple_data()
    with grpc_() as c:
        res = c.infer("simple", simple_inputs(grpcclient, in0, in1), compression_algorithm="deflate",
                      client_timeout=T())
    check_simple_result(res, in0, in1)


@check("grpc.simple.custom_parameters")
def _():
    in0, in1 = simple_data()
    with grpc_() as c:
        res = c.infer("simple", simple_inputs(grpcclient, in0, in1), client_timeout=T(),
                      parameters={"compat_str": "x", "compat_int": 3, "compat_bool": True,
                                  "compat_double": 1.5})
    check_simple_result(res, in0, in1)


@check("grpc.simple.async_infer")
def _():
    # simple_grpc_async_infer_client.py
    in0, in1 = simple_data()
    q = queue.Queue()
    with grpc_() as c:
        for _ in range(3):
            c.async_infer("simple", simple_inputs(grpcclient, in0, in1),
                          callback=lambda result, error: q.put((result, error)),
                          outputs=[grpcclient.InferRequestedOutput("OUTPUT0"),
                                   grpcclient.InferRequestedOutput("OUTPUT1")],
                          client_timeout=T())
        for _ in range(3):
            result, error = q.get(timeout=T())
            expect(error is None, f"callback error {error}")
            check_simple_result(result, in0, in1)


@check("grpc.simple.stream")
def _():
    in0, in1 = simple_data()
    q = queue.Queue()
    with grpc_() as c:
        c.start_stream(callback=lambda result, error: q.put((result, error)), stream_timeout=T())
        ids = [f"s{i}" for i in range(3)]
        for rid in ids:
            c.async_stream_infer("simple", simple_inputs(grpcclient, in0, in1), request_id=rid)
        got = []
        for _ in ids:
            result, error = q.get(timeout=T())
            expect(error is None, f"stream error {error}")
            check_simple_result(result, in0, in1)
            got.append(result.get_response().id)
        c.stop_stream()
    expect(sorted(got) == ids, f"response ids {got} != {ids}")


@check("grpc.aio.simple")
def _():
    # simple_grpc_aio_infer_client.py
    in0, in1 = simple_data()

    async def main():
        c = gaio()
        try:
            expect(await c.is_server_live(client_timeout=T()) is True, "aio live")
            expect(await c.is_model_ready("simple", client_timeout=T()) is True, "aio model ready")
            res = await c.infer("simple", simple_inputs(grpcaio, in0, in1),
                                outputs=[grpcaio.InferRequestedOutput("OUTPUT0"),
                                         grpcaio.InferRequestedOutput("OUTPUT1")],
                                client_timeout=T(), headers={"test": "1"})
            check_simple_result(res, in0, in1)
            st = await c.get_inference_statistics(model_name="simple", client_timeout=T())
            expect(len(st.model_stats) == 1, "FAILED: Inference Statistics")
            r1, r2 = await asyncio.gather(
                c.infer("simple", simple_inputs(grpcaio, in0, in1), outputs=None, client_timeout=T()),
                c.infer("simple", simple_inputs(grpcaio, in0, in1), outputs=None, client_timeout=T(),
                        compression_algorithm="gzip"),
            )
            check_simple_result(r1, in0, in1)
            check_simple_result(r2, in0, in1)
        finally:
            await c.close()

    asyncio.run(main())


@check("grpc.aio.simple.stream_infer")
def _():
    in0, in1 = simple_data()

    async def main():
        c = gaio()
        try:
            async def reqs():
                for i in range(3):
                    yield {"model_name": "simple", "inputs": simple_inputs(grpcaio, in0, in1),
                           "request_id": f"a{i}"}

            it = c.stream_infer(inputs_iterator=reqs(), stream_timeout=T())
            ids = []
            async for result, error in it:
                expect(error is None, f"stream error {error}")
                check_simple_result(result, in0, in1)
                ids.append(result.get_response().id)
            expect(sorted(ids) == ["a0", "a1", "a2"], f"ids {ids}")
        finally:
            await c.close()

    asyncio.run(main())


# ==========================================================================
# simple_string
# ==========================================================================
@check("grpc.simple_string.infer")
def _():
    # simple_grpc_string_infer_client.py
    in0, in1, s0, s1 = string_data()
    with grpc_() as c:
        ins = [grpcclient.InferInput("INPUT0", [1, 16], "BYTES"),
               grpcclient.InferInput("INPUT1", [1, 16], "BYTES")]
        ins[0].set_data_from_numpy(s0)
        ins[1].set_data_from_numpy(s1)
        res = c.infer("simple_string", ins,
                      outputs=[grpcclient.InferRequestedOutput("OUTPUT0"),
                               grpcclient.InferRequestedOutput("OUTPUT1")], client_timeout=T())
    check_string_result(res, in0, in1)
    return f"OUTPUT0[:4]={res.as_numpy('OUTPUT0')[0][:4]}"


@check("http.simple_string.binary")
def _():
    in0, in1, s0, s1 = string_data()
    with http() as c:
        ins = [httpclient.InferInput("INPUT0", [1, 16], "BYTES"),
               httpclient.InferInput("INPUT1", [1, 16], "BYTES")]
        ins[0].set_data_from_numpy(s0, binary_data=True)
        ins[1].set_data_from_numpy(s1, binary_data=True)
        res = c.infer("simple_string", ins,
                      outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=True),
                               httpclient.InferRequestedOutput("OUTPUT1", binary_data=True)])
    check_string_result(res, in0, in1)


@check("http.simple_string.json")
def _():
    in0, in1, s0, s1 = string_data()
    with http() as c:
        ins = [httpclient.InferInput("INPUT0", [1, 16], "BYTES"),
               httpclient.InferInput("INPUT1", [1, 16], "BYTES")]
        ins[0].set_data_from_numpy(s0, binary_data=False)
        ins[1].set_data_from_numpy(s1, binary_data=True)
        res = c.infer("simple_string", ins,
                      outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=False),
                               httpclient.InferRequestedOutput("OUTPUT1", binary_data=True)])
    check_string_result(res, in0, in1)
    o0 = res.get_output("OUTPUT0")
    expect(isinstance(o0.get("data"), list) and isinstance(o0["data"][0], str),
           f"OUTPUT0 JSON data should be a list of strings: {o0}")


# ==========================================================================
# identity_fp32 (19 MB bit-exactness)
# ==========================================================================
def _identity_http_sync(arr, bin_in=True, bin_out=True):
    with http() as c:
        i = httpclient.InferInput("INPUT0", [len(arr)], "FP32")
        i.set_data_from_numpy(arr, binary_data=bin_in)
        res = c.infer("identity_fp32", [i],
                      outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=bin_out)])
    out = res.as_numpy("OUTPUT0")
    expect(out is not None, "OUTPUT0 missing")
    expect(res.get_output("OUTPUT0").get("datatype") == "FP32", "datatype != FP32")
    return out


def _identity_grpc_sync(arr):
    with grpc_() as c:
        i = grpcclient.InferInput("INPUT0", [len(arr)], "FP32")
        i.set_data_from_numpy(arr)
        res = c.infer("identity_fp32", [i], client_timeout=T())
    out = res.as_numpy("OUTPUT0")
    expect(out is not None, "OUTPUT0 missing")
    return out


@check("http.identity_fp32.big_binary")
def _():
    if ARGS.skip_big:
        return "skipped (--skip-big)"
    a = big_fp32()
    t = time.time()
    out = _identity_http_sync(a)
    dt = time.time() - t
    ok, why = bits_equal(a, out)
    expect(ok, why)
    return f"{a.nbytes} bytes round-trip bit-exact in {dt:.2f}s"


@check("http.aio.identity_fp32.big_binary")
def _():
    if ARGS.skip_big:
        return "skipped (--skip-big)"
    a = big_fp32()

    async def main():
        c = haio()
        try:
            i = httpaio.InferInput("INPUT0", [len(a)], "FP32")
            i.set_data_from_numpy(a, binary_data=True)
            res = await c.infer("identity_fp32", [i],
                                outputs=[httpaio.InferRequestedOutput("OUTPUT0", binary_data=True)])
            return res.as_numpy("OUTPUT0")
        finally:
            await c.close()

    t = time.time()
    out = asyncio.run(main())
    ok, why = bits_equal(a, out)
    expect(ok, why)
    return f"{a.nbytes} bytes bit-exact in {time.time() - t:.2f}s"


@check("grpc.identity_fp32.big")
def _():
    if ARGS.skip_big:
        return "skipped (--skip-big)"
    a = big_fp32()
    t = time.time()
    out = _identity_grpc_sync(a)
    ok, why = bits_equal(a, out)
    expect(ok, why)
    return f"{a.nbytes} bytes bit-exact in {time.time() - t:.2f}s"


@check("grpc.aio.identity_fp32.big")
def _():
    if ARGS.skip_big:
        return "skipped (--skip-big)"
    a = big_fp32()

    async def main():
        c = gaio()
        try:
            i = grpcaio.InferInput("INPUT0", [len(a)], "FP32")
            i.set_data_from_numpy(a)
            res = await c.infer("identity_fp32", [i], client_timeout=T())
            return res.as_numpy("OUTPUT0")
        finally:
            await c.close()

    t = time.time()
    out = asyncio.run(main())
    ok, why = bits_equal(a, out)
    expect(ok, why)
    return f"{a.nbytes} bytes bit-exact in {time.time() - t:.2f}s"


@check("http.identity_fp32.json_small")
def _():
    rng = np.random.default_rng(7)
    a = (rng.standard_normal(1000) * 10.0 ** rng.integers(-30, 30, 1000)).astype(np.float32)
    a[:4] = np.array([0.0, -0.0, 1e-45, 3.4028235e38], dtype=np.float32)
    out = _identity_http_sync(a, bin_in=False, bin_out=False)
    ok, why = bits_equal(a, out)
    expect(ok, "JSON round trip not exact: " + why)


@check("http.identity_fp32.nan_payloads")
def _():
    a = nan_payload_data()
    out = _identity_http_sync(a)
    ok, why = bits_equal(a, out)
    expect(ok, why + " (NaN payloads/signalling NaN canonicalised?)")


@check("grpc.identity_fp32.nan_payloads")
def _():
    a = nan_payload_data()
    out = _identity_grpc_sync(a)
    ok, why = bits_equal(a, out)
    expect(ok, why + " (NaN payloads/signalling NaN canonicalised?)")


@check("http.identity_fp32.empty")
def _():
    a = np.zeros(0, dtype=np.float32)
    out = _identity_http_sync(a)
    expect(out.shape == (0,), f"shape {out.shape}")


@check("grpc.identity_fp32.empty")
def _():
    a = np.zeros(0, dtype=np.float32)
    out = _identity_grpc_sync(a)
    expect(out.shape == (0,), f"shape {out.shape}")


# ==========================================================================
# repeat_int32 (decoupled, streaming)
# ==========================================================================
def _collect(q, n, timeout):
    out = []
    deadline = time.time() + timeout
    while len(out) < n:
        left = deadline - time.time()
        if left <= 0:
            break
        try:
            out.append(q.get(timeout=left))
        except queue.Empty:
            break
    return out


def _final_flag(result):
    p = result.get_response().parameters
    if "triton_final_response" in p:
        return p["triton_final_response"].bool_param
    return None


@check("grpc.repeat_int32.stream")
def _():
    # simple_grpc_custom_repeat.py
    vals = [100, 101, 102, 103, 104]
    q = queue.Queue()
    with grpc_() as c:
        c.start_stream(callback=lambda result, error: q.put((result, error)), stream_timeout=T())
        c.async_stream_infer("repeat_int32", repeat_inputs(vals),
                             outputs=[grpcclient.InferRequestedOutput("OUT"),
                                      grpcclient.InferRequestedOutput("IDX")])
        got = _collect(q, len(vals), T())
        extra = _collect(q, 1, 1.0)
        c.stop_stream()
    expect(len(got) == len(vals), f"got {len(got)} responses, expected {len(vals)}")
    for k, (result, error) in enumerate(got):
        expect(error is None, f"response {k}: error {error}")
        out, idx = result.as_numpy("OUT"), result.as_numpy("IDX")
        expect(out is not None and out.shape == (1,) and out.dtype == np.int32, f"response {k}: OUT {out!r}")
        expect(idx is not None and idx.shape == (1,) and idx.dtype == np.uint32, f"response {k}: IDX {idx!r}")
        expect(out[0] == vals[k] and idx[0] == k, f"response {k}: OUT={out[0]} IDX={idx[0]}")
    expect(not extra, f"unexpected extra response (empty final sent without "
                      f"enable_empty_final_response?): {extra[0][0].get_response() if extra and extra[0][0] else extra}")


@check("grpc.repeat_int32.empty_final_response")
def _():
    vals = [7, 8, 9]
    q = queue.Queue()
    with grpc_() as c:
        c.start_stream(callback=lambda result, error: q.put((result, error)), stream_timeout=T())
        c.async_stream_infer("repeat_int32", repeat_inputs(vals), enable_empty_final_response=True)
        got = _collect(q, len(vals) + 1, T())
        extra = _collect(q, 1, 0.5)
        c.stop_stream()
    expect(len(got) == len(vals) + 1, f"got {len(got)} responses, expected {len(vals) + 1}")
    for k, (result, error) in enumerate(got):
        expect(error is None, f"response {k}: error {error}")
    for k in range(len(vals)):
        r = got[k][0]
        expect(r.as_numpy("OUT")[0] == vals[k], f"response {k}: OUT {r.as_numpy('OUT')}")
        expect(_final_flag(r) is False, f"response {k}: triton_final_response={_final_flag(r)} (expected false)")
    last = got[-1][0]
    lr = last.get_response()
    expect(len(lr.outputs) == 0, f"final response should be empty, has outputs {[o.name for o in lr.outputs]}")
    expect(_final_flag(last) is True, f"final response triton_final_response={_final_flag(last)}")
    expect(not extra, "extra responses after final")


@check("grpc.repeat_int32.two_requests_one_stream")
def _():
    q = queue.Queue()
    with grpc_() as c:
        c.start_stream(callback=lambda result, error: q.put((result, error)), stream_timeout=T())
        c.async_stream_infer("repeat_int32", repeat_inputs([1, 2, 3], delays=[20, 20, 20]), request_id="ra")
        c.async_stream_infer("repeat_int32", repeat_inputs([10, 20], delays=[5, 5]), request_id="rb")
        got = _collect(q, 5, T())
        c.stop_stream()
    expect(len(got) == 5, f"got {len(got)} responses, expected 5")
    per = {}
    for result, error in got:
        expect(error is None, f"error {error}")
        per.setdefault(result.get_response().id, []).append(int(result.as_numpy("OUT")[0]))
    expect(per == {"ra": [1, 2, 3], "rb": [10, 20]}, f"responses by id: {per}")


@check("grpc.repeat_int32.zero_length_input")
def _():
    q = queue.Queue()
    with grpc_() as c:
        c.start_stream(callback=lambda result, error: q.put((result, error)), stream_timeout=T())
        c.async_stream_infer("repeat_int32", repeat_inputs([], delays=[]), enable_empty_final_response=True)
        got = _collect(q, 1, T())
        extra = _collect(q, 1, 0.5)
        c.stop_stream()
    expect(len(got) == 1, "no response")
    result, error = got[0]
    expect(error is None, f"error {error}")
    expect(len(result.get_response().outputs) == 0, "expected an empty final response")
    expect(_final_flag(result) is True, f"triton_final_response={_final_flag(result)}")
    expect(not extra, "extra responses")


@check("grpc.aio.repeat_int32.stream_infer")
def _():
    vals = [5, 6, 7, 8]

    async def main():
        c = gaio()
        try:
            async def reqs():
                yield {"model_name": "repeat_int32", "inputs": repeat_inputs(vals, mod=grpcaio),
                       "request_id": "aio-r"}

            it = c.stream_infer(inputs_iterator=reqs(), stream_timeout=T())
            outs = []
            async for result, error in it:
                expect(error is None, f"error {error}")
                outs.append((int(result.as_numpy("OUT")[0]), int(result.as_numpy("IDX")[0]),
                             result.get_response().id))
                if len(outs) == len(vals):
                    break
            return outs
        finally:
            await c.close()

    outs = asyncio.run(asyncio.wait_for(main(), T()))
    expect(outs == [(v, k, "aio-r") for k, v in enumerate(vals)], f"got {outs}")


@check("grpc.repeat_int32.unary_infer_rejected")
def _():
    with grpc_() as c:
        # Triton answers UNIMPLEMENTED with "doesn't support models with decoupled transaction policy".
        try:
            c.infer("repeat_int32", repeat_inputs([1, 2]), client_timeout=T())
        except InferenceServerException as e:
            expect(e.status() == "StatusCode.UNIMPLEMENTED", f"status {e.status()}")
            expect("doesn't support models with decoupled transaction policy" in e.message(), e.message())
            return e.message()
        raise CheckFailed("decoupled model accepted on ModelInfer")


@check("http.repeat_int32.infer_rejected")
def _():
    ins = repeat_inputs([1, 2], mod=httpclient)
    with http() as c:
        # Triton answers 501 with "doesn't support models with decoupled transaction policy".
        try:
            c.infer("repeat_int32", ins)
        except InferenceServerException as e:
            expect(e.status() == "501", f"status {e.status()}")
            expect("doesn't support models with decoupled transaction policy" in e.message(), e.message())
            return e.message()
        raise CheckFailed("decoupled model accepted on /infer")


@check("grpc.stream.error_then_ok")
def _():
    in0, in1 = simple_data()
    q = queue.Queue()
    with grpc_() as c:
        c.start_stream(callback=lambda result, error: q.put((result, error)), stream_timeout=T())
        c.async_stream_infer("no_such_model_xyz", simple_inputs(grpcclient, in0, in1))
        r1 = _collect(q, 1, T())
        c.async_stream_infer("simple", simple_inputs(grpcclient, in0, in1))
        r2 = _collect(q, 1, T())
        c.stop_stream()
    expect(len(r1) == 1 and r1[0][1] is not None,
           f"expected an error (ModelStreamInferResponse.error_message) for unknown model, got {r1}")
    err = r1[0][1]
    expect("StatusCode" not in str(err.status()),
           f"stream was terminated with gRPC status {err.status()} instead of an in-stream error_message; "
           "Triton keeps the stream open and sets error_message")
    expect(len(r2) == 1 and r2[0][1] is None, f"stream unusable after in-stream error: {r2}")
    check_simple_result(r2[0][0], in0, in1)
    return f"in-stream error: {_msg(err)!r}"


# ==========================================================================
# sleep_ms (timeouts)
# ==========================================================================
def moving_average_inputs(mod, series, window, binary=True):
    x = mod.InferInput("INPUT", [len(series)], "FP32")
    w = mod.InferInput("WINDOW", [1], "INT32")
    if mod is httpclient:
        x.set_data_from_numpy(np.asarray(series, dtype=np.float32), binary_data=binary)
        w.set_data_from_numpy(np.asarray([window], dtype=np.int32), binary_data=binary)
    else:
        x.set_data_from_numpy(np.asarray(series, dtype=np.float32))
        w.set_data_from_numpy(np.asarray([window], dtype=np.int32))
    return [x, w]


@check("grpc.moving_average.ok")
def _():
    with grpc_() as c:
        res = c.infer("moving_average", moving_average_inputs(grpcclient, [1, 2, 3, 4, 5], 2), client_timeout=T())
    out = res.as_numpy("OUTPUT")
    expect(out is not None and out.tolist() == [1.5, 2.5, 3.5, 4.5], f"OUTPUT {out!r}")


@check("http.moving_average.ok")
def _():
    with http() as c:
        for binary in (True, False):
            res = c.infer("moving_average", moving_average_inputs(httpclient, [2, 4, 6, 8], 3, binary))
            out = res.as_numpy("OUTPUT")
            expect(out is not None and out.tolist() == [4.0, 6.0], f"binary={binary}: OUTPUT {out!r}")


@check("http.moving_average.bad_window")
def _():
    with http() as c:
        return expect_http_error(lambda: c.infer("moving_average", moving_average_inputs(httpclient, [1, 2], 5)), mentions=("WINDOW",))


@check("log_settings.shared_between_protocols")
def _():
    with http() as hc, grpc_() as gc:
        before = hc.get_log_settings()
        expect(set(before) >= {"log_info", "log_warning", "log_error", "log_verbose_level", "log_format"}, f"keys {sorted(before)}")
        updated = hc.update_log_settings({"log_verbose_level": 1})
        expect(updated["log_verbose_level"] == 1, f"http update {updated!r}")
        seen = gc.get_log_settings(as_json=True)["settings"]["log_verbose_level"]["uint32_param"]
        expect(seen == 1, f"grpc sees {seen}")
        gc.update_log_settings({"log_verbose_level": before["log_verbose_level"]})
        expect(hc.get_log_settings()["log_verbose_level"] == before["log_verbose_level"], "restored")


@check("grpc.sleep_ms.ok")
def _():
    with grpc_() as c:
        t = time.time()
        res = c.infer("sleep_ms", sleep_input(grpcclient, 50), client_timeout=T())
        dt = time.time() - t
    out = res.as_numpy("OUTPUT0")
    expect(out is not None and int(out.ravel()[0]) == 50, f"OUTPUT0 {out!r}")
    expect(dt >= 0.045, f"returned after {dt * 1000:.0f} ms < 50 ms")
    return f"{dt * 1000:.0f} ms, shape {list(out.shape)}"


@check("http.sleep_ms.ok")
def _():
    with http() as c:
        t = time.time()
        res = c.infer("sleep_ms", sleep_input(httpclient, 50, binary=False),
                      outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=False)])
        dt = time.time() - t
    out = res.as_numpy("OUTPUT0")
    expect(out is not None and int(out.ravel()[0]) == 50, f"OUTPUT0 {out!r}")
    expect(dt >= 0.045, f"returned after {dt * 1000:.0f} ms < 50 ms")
    return f"{dt * 1000:.0f} ms"


@check("grpc.sleep_ms.client_timeout_deadline_exceeded")
def _():
    with grpc_() as c:
        t = time.time()
        try:
            c.infer("sleep_ms", sleep_input(grpcclient, 3000), client_timeout=0.5)
            raise CheckFailed("no error although the model sleeps 3 s and client_timeout=0.5")
        except InferenceServerException as e:
            dt = time.time() - t
            expect(e.status() == "StatusCode.DEADLINE_EXCEEDED", f"status {ise(e)}")
            expect(dt < 2.0, f"deadline error came after {dt:.2f}s")
        expect(c.is_server_live(client_timeout=T()), "server not live afterwards")
        res = c.infer("sleep_ms", sleep_input(grpcclient, 10), client_timeout=T())
        expect(int(res.as_numpy("OUTPUT0").ravel()[0]) == 10, "follow-up request failed")
    return f"DEADLINE_EXCEEDED after {dt:.2f}s"


@check("grpc.aio.sleep_ms.client_timeout")
def _():
    async def main():
        c = gaio()
        try:
            t = time.time()
            try:
                await c.infer("sleep_ms", sleep_input(grpcaio, 3000), client_timeout=0.5)
                raise CheckFailed("no error")
            except InferenceServerException as e:
                dt = time.time() - t
                expect(e.status() == "StatusCode.DEADLINE_EXCEEDED", f"status {ise(e)}")
                expect(dt < 2.0, f"after {dt:.2f}s")
                return dt
        finally:
            await c.close()

    return f"DEADLINE_EXCEEDED after {asyncio.run(main()):.2f}s"


@check("grpc.sleep_ms.async_infer_timeout")
def _():
    q = queue.Queue()
    with grpc_() as c:
        c.async_infer("sleep_ms", sleep_input(grpcclient, 3000),
                      callback=lambda result, error: q.put((result, error)), client_timeout=0.5)
        result, error = q.get(timeout=T())
    expect(error is not None and error.status() == "StatusCode.DEADLINE_EXCEEDED", f"got {result}, {error}")


@check("http.sleep_ms.network_timeout")
def _():
    t = time.time()
    with http(network_timeout=0.5) as c:
        try:
            c.infer("sleep_ms", sleep_input(httpclient, 3000, binary=True))
            raise CheckFailed("no error although the model sleeps 3 s and network_timeout=0.5")
        except CheckFailed:
            raise
        except Exception as e:
            dt = time.time() - t
            expect(isinstance(e, (TimeoutError, socket.timeout)) or "timeout" in type(e).__name__.lower(),
                   f"expected a timeout, got {type(e).__name__}: {e}")
            expect(dt < 2.0, f"timeout error came after {dt:.2f}s")
            kind = f"{type(e).__module__}.{type(e).__name__}: {e}"
    with http() as c2:
        expect(c2.is_server_live(), "server not live afterwards")
    return f"{kind} after {dt:.2f}s"


@check("http.aio.sleep_ms.conn_timeout")
def _():
    async def main():
        c = haio(conn_timeout=0.5)
        try:
            t = time.time()
            try:
                await c.infer("sleep_ms", sleep_input(httpaio, 3000, binary=True))
                raise CheckFailed("no error")
            except CheckFailed:
                raise
            except Exception as e:
                dt = time.time() - t
                expect(isinstance(e, asyncio.TimeoutError) or "timeout" in type(e).__name__.lower(),
                       f"expected a timeout, got {type(e).__name__}: {e}")
                expect(dt < 2.0, f"after {dt:.2f}s")
                return f"{type(e).__name__} after {dt:.2f}s"
        finally:
            await c.close()

    return asyncio.run(main())


# ==========================================================================
# error cases
# ==========================================================================
def _err_cases(mod, http_mode):
    """name -> (callable(client), mentions)"""
    in0, in1 = simple_data()

    def kw_bin():
        return {"binary_data": True} if http_mode else {}

    def mk(name, shape, dtype, arr):
        i = mod.InferInput(name, shape, dtype)
        i.set_data_from_numpy(arr, **kw_bin())
        return i

    cases = {}
    cases["unknown_model"] = (
        lambda c: c.infer("no_such_model_xyz", [mk("INPUT0", [1, 16], "INT32", in0),
                                               mk("INPUT1", [1, 16], "INT32", in1)]),
        ["no_such_model_xyz"])
    cases["wrong_datatype"] = (
        lambda c: c.infer("simple", [mk("INPUT0", [1, 16], "FP32", in0.astype(np.float32)),
                                     mk("INPUT1", [1, 16], "INT32", in1)]),
        ["INPUT0"])
    cases["wrong_shape"] = (
        lambda c: c.infer("simple", [mk("INPUT0", [1, 8], "INT32", in0[:, :8].copy()),
                                     mk("INPUT1", [1, 8], "INT32", in1[:, :8].copy())]),
        ["INPUT0"])

    def byte_mismatch(c):
        a = mk("INPUT0", [1, 16], "INT32", in0)
        a.set_shape([2, 16])  # declares 128 bytes, carries 64
        return c.infer("simple", [a, mk("INPUT1", [2, 16], "INT32", np.ones((2, 16), np.int32))])

    cases["byte_size_mismatch"] = (byte_mismatch, ["INPUT0"])
    cases["unknown_output"] = (
        lambda c: c.infer("simple", [mk("INPUT0", [1, 16], "INT32", in0), mk("INPUT1", [1, 16], "INT32", in1)],
                          outputs=[mod.InferRequestedOutput("OUTPUT7")]),
        ["OUTPUT7"])
    cases["missing_input"] = (
        lambda c: c.infer("simple", [mk("INPUT0", [1, 16], "INT32", in0)]), [])
    cases["unknown_input"] = (
        lambda c: c.infer("simple", [mk("INPUT0", [1, 16], "INT32", in0), mk("INPUT1", [1, 16], "INT32", in1),
                                     mk("INPUT9", [1, 16], "INT32", in1)]), ["INPUT9"])
    big0, big1 = simple_data(batch=9)
    cases["batch_too_large"] = (
        lambda c: c.infer("simple", [mk("INPUT0", [9, 16], "INT32", big0), mk("INPUT1", [9, 16], "INT32", big1)]),
        [])
    return cases


for _case in ["unknown_model", "wrong_datatype", "wrong_shape", "byte_size_mismatch", "unknown_output",
              "missing_input", "unknown_input", "batch_too_large"]:
    def _mk_http(case):
        def fn():
            fn_, mentions = _err_cases(httpclient, True)[case]
            with http() as c:
                r = expect_http_error(lambda: fn_(c), mentions)
                expect(c.is_server_live(), "server not live after error")
            return r
        return fn

    def _mk_grpc(case):
        def fn():
            fn_, mentions = _err_cases(grpcclient, False)[case]
            with grpc_() as c:
                allow = ("StatusCode.UNAVAILABLE",) if case == "unknown_model" else ()
                return expect_grpc_error(lambda: fn_(c), mentions, allow=allow)
        return fn

    check(f"http.error.{_case}")(_mk_http(_case))
    check(f"grpc.error.{_case}")(_mk_grpc(_case))


@check("http.error.unknown_model_message")
def _():
    # simple_http_infer_client.py insists on this exact prefix
    in0, in1 = simple_data()
    with http() as c:
        try:
            c.infer("wrong_model_name", simple_inputs(httpclient, in0, in1, False, True))
            raise CheckFailed("no error")
        except InferenceServerException as e:
            expect(_msg(e).startswith("Request for unknown model"),
                   f"Triton example expects message to start with 'Request for unknown model': {ise(e)}")
            return ise(e)


# ==========================================================================
# model control (run last)
# ==========================================================================
@check("http.model_control")
def _():
    with http() as c:
        if ARGS.model_control_mode == "none":
            a = expect_http_error(lambda: c.load_model("simple"), allow_5xx=True)
            b = expect_http_error(lambda: c.unload_model("simple"), allow_5xx=True)
            expect(c.is_model_ready("simple"), "simple not ready after refused unload")
            return f"load: {a}; unload: {b}"
        expect_http_error(lambda: c.load_model("no_such_model_xyz"), allow_5xx=True)
        c.unload_model("sleep_ms")
        deadline = time.time() + T()
        while c.is_model_ready("sleep_ms") and time.time() < deadline:
            time.sleep(0.1)
        expect(not c.is_model_ready("sleep_ms"), "sleep_ms still ready after unload")
        idx = {m["name"]: m for m in c.get_model_repository_index()}
        st = idx.get("sleep_ms", {}).get("state")
        c.load_model("sleep_ms")
        expect(c.is_model_ready("sleep_ms"), "sleep_ms not ready after load")
        return f"state after unload: {st!r}"


@check("grpc.model_control")
def _():
    with grpc_() as c:
        if ARGS.model_control_mode == "none":
            anyst = ("StatusCode.UNIMPLEMENTED", "StatusCode.UNAVAILABLE", "StatusCode.UNKNOWN",
                     "StatusCode.INTERNAL")
            a = expect_grpc_error(lambda: c.load_model("simple", client_timeout=T()), allow=anyst)
            b = expect_grpc_error(lambda: c.unload_model("simple", client_timeout=T()), allow=anyst)
            expect(c.is_model_ready("simple", client_timeout=T()), "simple not ready after refused unload")
            return f"load: {a}; unload: {b}"
        expect_grpc_error(lambda: c.load_model("no_such_model_xyz", client_timeout=T()),
                          allow=("StatusCode.UNAVAILABLE", "StatusCode.INTERNAL"))
        c.unload_model("sleep_ms", client_timeout=T())
        deadline = time.time() + T()
        while c.is_model_ready("sleep_ms", client_timeout=T()) and time.time() < deadline:
            time.sleep(0.1)
        expect(not c.is_model_ready("sleep_ms", client_timeout=T()), "sleep_ms still ready after unload")
        c.load_model("sleep_ms", client_timeout=T())
        expect(c.is_model_ready("sleep_ms", client_timeout=T()), "sleep_ms not ready after load")


# ==========================================================================
# ONNX Runtime models with dynamic batching (lstm_timeseries, image_classifier)
# ==========================================================================
def lstm_series(batch, phase=0.0):
    t = np.arange(10, dtype=np.float32)
    rows = [np.sin((t + phase + 3 * b) * (2 * np.pi / 12)) for b in range(batch)]
    return np.stack(rows).astype(np.float32).reshape(batch, 10, 1)


def lstm_infer(mod, c, x, binary=True):
    inp = mod.InferInput("INPUT", list(x.shape), "FP32")
    if mod is httpclient:
        inp.set_data_from_numpy(x, binary_data=binary)
        outs = [httpclient.InferRequestedOutput("OUTPUT", binary_data=binary)]
    else:
        inp.set_data_from_numpy(x)
        outs = [grpcclient.InferRequestedOutput("OUTPUT")]
    return c.infer("lstm_timeseries", [inp], outputs=outs).as_numpy("OUTPUT")


@check("http+grpc.onnx.lstm_timeseries")
def _():
    x = lstm_series(3)
    with http() as h, grpc_() as g:
        a = lstm_infer(httpclient, h, x, binary=True)
        b = lstm_infer(httpclient, h, x, binary=False)
        c_ = lstm_infer(grpcclient, g, x)
        md = g.get_model_metadata("lstm_timeseries", as_json=True)
    expect(a.shape == (3, 5) and a.dtype == np.float32, f"shape/dtype {a.shape} {a.dtype}")
    expect(np.all(np.isfinite(a)), "non-finite forecast")
    expect(np.allclose(a, b, atol=1e-6) and np.allclose(a, c_, atol=1e-6), "binary, JSON and gRPC results differ")
    expect(md["platform"] in ("onnxruntime_onnx", "onnxruntime"), f"platform {md['platform']}")
    expect(md["inputs"][0]["shape"] == ["-1", "10", "1"] or md["inputs"][0]["shape"] == [-1, 10, 1],
           f"input shape {md['inputs'][0]['shape']}")
    # The forecast continues a period-12 sine (fitted head): next value after phase 0 series is sin(2*pi*10/12).
    expect(abs(float(a[0, 0]) - float(np.sin(10 * 2 * np.pi / 12))) < 0.3, f"forecast {a[0]}")


@check("grpc.onnx.lstm_concurrent_requests_match_single")
def _():
    # 24 concurrent requests are merged by the dynamic batcher; each must get its own rows back.
    xs = [lstm_series(1 + i % 3, phase=0.37 * i) for i in range(24)]
    with grpc_() as g:
        singles = [lstm_infer(grpcclient, g, x) for x in xs]
        q = queue.Queue()
        for i, x in enumerate(xs):
            inp = grpcclient.InferInput("INPUT", list(x.shape), "FP32")
            inp.set_data_from_numpy(x)
            g.async_infer("lstm_timeseries", [inp], request_id=str(i),
                          callback=lambda result, error: q.put((result, error)), client_timeout=T())
        got = {}
        for _ in xs:
            result, error = q.get(timeout=T())
            expect(error is None, f"callback error {error}")
            got[int(result.get_response().id)] = result.as_numpy("OUTPUT")
        stats = g.get_inference_statistics("lstm_timeseries", as_json=True)
    for i, single in enumerate(singles):
        expect(np.allclose(got[i], single, atol=1e-5), f"request {i}: batched result differs from single")
    sizes = [int(b["batch_size"]) for b in stats["model_stats"][0].get("batch_stats", [])]
    expect(len(sizes) > 0, "no batch_stats")


@check("http.onnx.image_classifier_classification")
def _():
    x = (np.arange(3 * 224 * 224, dtype=np.float32) % 255 / 255.0).reshape(1, 3, 224, 224)
    with http() as c:
        inp = httpclient.InferInput("input", [1, 3, 224, 224], "FP32")
        inp.set_data_from_numpy(x, binary_data=True)
        res = c.infer("image_classifier", [inp],
                      outputs=[httpclient.InferRequestedOutput("output", binary_data=True, class_count=3)])
    top = res.as_numpy("output")
    expect(top.shape == (1, 3), f"shape {top.shape}")
    parts = [t.decode() if isinstance(t, bytes) else str(t) for t in top.reshape(-1)]
    for p_ in parts:
        v, idx, label = p_.split(":")
        expect(label == f"class_{int(idx):04d}", f"label {p_}")
    vals = [float(p_.split(":")[0]) for p_ in parts]
    expect(vals == sorted(vals, reverse=True), f"not sorted {vals}")


@check("grpc.onnx.bad_shape")
def _():
    with grpc_() as g:
        x = np.zeros((1, 9, 1), dtype=np.float32)
        inp = grpcclient.InferInput("INPUT", [1, 9, 1], "FP32")
        inp.set_data_from_numpy(x)
        expect_grpc_error(lambda: g.infer("lstm_timeseries", [inp], client_timeout=T()),
                          mentions=("INPUT",), statuses=("StatusCode.INVALID_ARGUMENT",))
        expect(g.is_model_ready("lstm_timeseries"), "server not serving after bad request")


# ==========================================================================
# LLM model (Triton's vLLM-backend interface, as in Triton's vLLM client examples)
# ==========================================================================
def llm_inputs(prompt, stream, max_tokens=8):
    import json
    text = grpcclient.InferInput("text_input", [1], "BYTES")
    text.set_data_from_numpy(np.array([prompt.encode()], dtype=np.object_))
    flag = grpcclient.InferInput("stream", [1], "BOOL")
    flag.set_data_from_numpy(np.array([stream], dtype=bool))
    params = grpcclient.InferInput("sampling_parameters", [1], "BYTES")
    params.set_data_from_numpy(np.array([json.dumps({"max_tokens": max_tokens, "temperature": 0}).encode()], dtype=np.object_))
    return [text, flag, params]


@check("grpc.llm.stream_tokens")
def _():
    q = queue.Queue()
    with grpc_() as c:
        c.start_stream(callback=lambda result, error: q.put((result, error)), stream_timeout=T())
        c.async_stream_infer("llm", llm_inputs("Hello", True), request_id="s1",
                             enable_empty_final_response=True)
        chunks, final = [], None
        while final is None:
            result, error = q.get(timeout=T())
            expect(error is None, f"stream error {error}")
            resp = result.get_response()
            if resp.parameters["triton_final_response"].bool_param:
                final = resp
            else:
                chunks.append(result.as_numpy("text_output")[0].decode())
    expect(len(chunks) == 8, f"expected 8 chunks, got {len(chunks)}")
    with grpc_() as c:
        whole = c.infer("llm", llm_inputs("Hello", False), client_timeout=T()).as_numpy("text_output")[0].decode()
    expect(whole == "Hello" + "".join(chunks), f"unary text {whole!r} != prompt + chunks {''.join(chunks)!r}")


# ==========================================================================
# runner
# ==========================================================================
def run_one(name, fn):
    box = {}

    def target():
        try:
            box["detail"] = fn()
        except BaseException as e:  # noqa: B036 - report everything
            box["exc"] = e
            box["tb"] = traceback.format_exc()

    th = threading.Thread(target=target, name=name, daemon=True)
    t0 = time.time()
    th.start()
    th.join(ARGS.check_timeout)
    dt = time.time() - t0
    if th.is_alive():
        return False, f"hung for more than {ARGS.check_timeout}s (check abandoned)", None, dt
    if "exc" in box:
        e = box["exc"]
        if isinstance(e, InferenceServerException):
            d = ise(e)
        else:
            d = f"{type(e).__name__}: {e}"
        return False, d, box.get("tb"), dt
    return True, box.get("detail") or "", None, dt


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--http-url", default="127.0.0.1:8000")
    p.add_argument("--grpc-url", default="127.0.0.1:8001")
    p.add_argument("-k", action="append", default=[], help="only checks whose name contains this")
    p.add_argument("--list", action="store_true")
    p.add_argument("--skip-big", action="store_true")
    p.add_argument("--model-control-mode", choices=["none", "explicit"], default="none")
    p.add_argument("--timeout", type=float, default=60.0, help="per-call client timeout (s)")
    p.add_argument("--check-timeout", type=float, default=120.0, help="hard per-check limit (s)")
    p.add_argument("-v", "--verbose", action="store_true")
    ARGS = p.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # allow `| head`

    sel = [(n, f) for n, f in CHECKS if not ARGS.k or any(k in n for k in ARGS.k)]
    if ARGS.list:
        for n, _f in sel:
            print(n)
        return 0
    print(f"tensorgate compat: http={ARGS.http_url} grpc={ARGS.grpc_url} "
          f"checks={len(sel)} model-control-mode={ARGS.model_control_mode}", flush=True)
    passed = failed = 0
    failed_names = []
    for name, fn in sel:
        ok, detail, tb, dt = run_one(name, fn)
        detail = str(detail).replace("\n", " | ")
        if len(detail) > 600 and not ARGS.verbose:
            detail = detail[:600] + "..."
        print(f"{'PASS' if ok else 'FAIL'} {name} ({dt:.2f}s){': ' + detail if detail else ''}", flush=True)
        if ok:
            passed += 1
        else:
            failed += 1
            failed_names.append(name)
            if ARGS.verbose and tb:
                print("    " + tb.replace("\n", "\n    "), flush=True)
    if failed_names:
        print("failed: " + " ".join(failed_names))
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    rc = main()
    sys.stdout.flush()
    os._exit(rc)  # abandoned (hung) check threads must not keep the process alive
