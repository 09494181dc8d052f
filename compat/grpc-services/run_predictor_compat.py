#!/usr/bin/env python3
"""Drives tensorgate's example modelserving.Predictor (--grpc-services examples/grpc_services) with
a Python grpcio client whose stubs Debian's protoc + grpc_python_plugin (or grpc_tools) generate
from the service's own .proto at run time: the seed's channel options (50 MB messages, keepalive
pings), Predict, PredictFast, StreamPredict, errors, the message limits and a quiet stream kept
alive by pings. Prints one PASS/FAIL line per check and `N passed, M failed`; exits 1 on a failure.

    /usr/bin/python3 compat/grpc-services/run_predictor_compat.py --grpc-url 127.0.0.1:8001

The server needs image_classifier and image_preprocess loaded and, for --keepalive-ms pings on a
quiet stream, --grpc-keepalive-permit-without-calls and
--grpc-http2-min-recv-ping-interval-without-data at most half of --keepalive-ms (docs/grpc-services.md#keepalive).
"""
import argparse
import os
import struct
import sys
import threading
import time
import zlib

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'examples', 'grpc_services', 'predictor', 'clients'))
import predictor_client  # noqa: E402  (the example client: stub generation, channel options, image)

MB = 1024 * 1024
results = []


def check(name, fn):
    try:
        fn()
        results.append(True)
        print(f'PASS {name}')
    except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the run
        results.append(False)
        print(f'FAIL {name}: {type(e).__name__}: {e}')


def expect_code(code, fn):
    try:
        fn()
    except grpc.RpcError as e:
        if e.code() != code:
            raise AssertionError(f'expected {code}, got {e.code()}: {e.details()}')
        return e
    raise AssertionError(f'expected {code}, the call succeeded')


def png(width, height):
    """A small RGB PNG made here (zlib), so no image library is needed."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            raw += bytes(((x * 255) // max(1, width - 1), (y * 255) // max(1, height - 1), 128))

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(bytes(raw))) + chunk(b'IEND', b'')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--grpc-url', default='127.0.0.1:8001')
    parser.add_argument('--keepalive-ms', type=int, default=10000, help="the client's grpc.keepalive_time_ms (the seed's: 10000)")
    parser.add_argument('--quiet-secs', type=float, default=35.0, help='how long the keepalive check keeps a stream quiet')
    args = parser.parse_args()

    pb2, pb2_grpc = predictor_client.generate_stubs()
    options = [(k, args.keepalive_ms if k == 'grpc.keepalive_time_ms' else v) for k, v in predictor_client.CHANNEL_OPTIONS]
    channel = grpc.insecure_channel(args.grpc_url, options=options)
    stub = pb2_grpc.PredictorStub(channel)
    image = predictor_client.demo_image()

    def request(data=image, model='image_classifier'):
        return pb2.InferenceRequest(model_name=model, tensor_data=data, width=224, height=224)

    def predict():
        r = stub.Predict(request(), timeout=60)
        assert len(r.predictions) == 1000, len(r.predictions)
        assert abs(sum(r.predictions) - 1) < 1e-3, sum(r.predictions)
        assert abs(r.confidence - max(r.predictions)) < 1e-6
    check('Predict: 1000 probabilities summing to 1, confidence the largest', predict)

    check('Predict with the wrong number of floats: INVALID_ARGUMENT',
          lambda: expect_code(grpc.StatusCode.INVALID_ARGUMENT, lambda: stub.Predict(request(data=[1.0, 2.0]), timeout=30)))
    check('Predict of an unknown model: NOT_FOUND',
          lambda: expect_code(grpc.StatusCode.NOT_FOUND, lambda: stub.Predict(request(model='no_such_model'), timeout=30)))

    def fast():
        r = stub.PredictFast(pb2.FastInferenceRequest(model_name='image_classifier', raw_image=png(320, 240)), timeout=60)
        assert len(r.predictions) == 1000 and r.confidence > 0
    check('PredictFast with a PNG file: 1000 probabilities', fast)
    check('PredictFast with bytes that are not an image: INVALID_ARGUMENT',
          lambda: expect_code(grpc.StatusCode.INVALID_ARGUMENT,
                              lambda: stub.PredictFast(pb2.FastInferenceRequest(raw_image=b'not an image'), timeout=30)))

    def stream():
        other = [-v for v in image]
        replies = list(stub.StreamPredict(iter([request(), request(data=other), request()]), timeout=120))
        assert len(replies) == 3, len(replies)
        assert list(replies[0].predictions) == list(replies[2].predictions)
        assert list(replies[0].predictions) != list(replies[1].predictions)
    check('StreamPredict: one reply per frame, in order', stream)

    def big_passes():
        floats = 45_000_000 // 4  # 45 MB of floats: under the 50 MB channel limit
        e = expect_code(grpc.StatusCode.INVALID_ARGUMENT, lambda: stub.Predict(request(data=[0.25] * floats), timeout=120))
        assert f'got {floats} for width 224' in e.details(), e.details()
    check('a 45 MB Predict reaches the handler (under the 50 MB limits)', big_passes)
    check('a 55 MB Predict is refused by the 50 MB send limit: RESOURCE_EXHAUSTED',
          lambda: expect_code(grpc.StatusCode.RESOURCE_EXHAUSTED,
                              lambda: stub.Predict(request(data=[0.25] * (55_000_000 // 4)), timeout=120)))

    def quiet_stream():
        frames = []
        go = threading.Event()

        def source():
            yield request()
            go.wait(args.quiet_secs + 60)
            yield request()
        call = stub.StreamPredict(source(), timeout=args.quiet_secs + 120)
        frames.append(next(call))
        time.sleep(args.quiet_secs)  # keepalive pings only, no data
        go.set()
        frames.extend(call)
        assert len(frames) == 2, len(frames)
    check(f'a StreamPredict stream quiet for {args.quiet_secs:g} s with keepalive pings every {args.keepalive_ms} ms stays open',
          quiet_stream)

    channel.close()
    passed = sum(results)
    failed = len(results) - passed
    print(f'{passed} passed, {failed} failed')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
