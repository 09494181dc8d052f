#!/usr/bin/env python3
"""A grpcio client of the example modelserving.Predictor service (../service.proto, handlers in
../service.js), written as the seeds write theirs: stubs generated from the .proto,
a channel with 50 MB message limits and keepalive pings, unary Predict, PredictFast with the
encoded image and bidi StreamPredict.

The stubs are generated at run time into a temporary folder (never into this repository) with
grpc_tools when it is installed, else Debian's protoc and grpc_python_plugin
(apt-get install python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc).

    tensorgate serve --model-repository examples/model_repository --grpc-services examples/grpc_services \\
      --grpc-keepalive-permit-without-calls --grpc-http2-min-recv-ping-interval-without-data 5000
    /usr/bin/python3 examples/grpc_services/predictor/clients/predictor_client.py --url 127.0.0.1:8001 --image cat.jpg
"""
import argparse
import importlib
import math
import os
import shutil
import subprocess
import sys
import tempfile

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, '..', 'service.proto')
MB = 1024 * 1024

# The seed's channel options.
CHANNEL_OPTIONS = [
    ('grpc.max_send_message_length', 50 * MB),
    ('grpc.max_receive_message_length', 50 * MB),
    ('grpc.keepalive_time_ms', 10000),
    ('grpc.keepalive_timeout_ms', 5000),
    ('grpc.keepalive_permit_without_calls', 1),
    ('grpc.http2.max_pings_without_data', 0),
]


def generate_stubs(proto=PROTO):
    """Generates service_pb2 / service_pb2_grpc for `proto` in a temporary folder and imports them."""
    out = tempfile.mkdtemp(prefix='predictor-stubs-')
    include = os.path.dirname(os.path.abspath(proto))
    name = os.path.basename(proto)
    try:
        from grpc_tools import protoc  # noqa: F401  (pip's grpcio-tools, when present)
        cmd = [sys.executable, '-m', 'grpc_tools.protoc', f'-I{include}', f'--python_out={out}', f'--grpc_python_out={out}', name]
    except ImportError:
        plugin = shutil.which('grpc_python_plugin')
        if shutil.which('protoc') is None or plugin is None:
            raise SystemExit('needs grpc_tools, or protoc and grpc_python_plugin (Debian: protobuf-compiler protobuf-compiler-grpc)')
        cmd = ['protoc', f'-I{include}', f'--python_out={out}', f'--grpc_out={out}', f'--plugin=protoc-gen-grpc={plugin}', name]
    subprocess.run(cmd, check=True, cwd=include)
    sys.path.insert(0, out)
    module = os.path.splitext(name)[0]
    return importlib.import_module(f'{module}_pb2'), importlib.import_module(f'{module}_pb2_grpc')


def demo_image(width=224, height=224):
    """A smooth CHW test image as floats in [-1, 1]."""
    plane = width * height
    return [math.sin((i % plane) / 97.0 + i // plane) for i in range(3 * plane)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--url', default='127.0.0.1:8001')
    parser.add_argument('--model', default='image_classifier')
    parser.add_argument('--image', help='a JPEG, PNG or WebP file for PredictFast')
    args = parser.parse_args()

    pb2, pb2_grpc = generate_stubs()
    with grpc.insecure_channel(args.url, options=CHANNEL_OPTIONS) as channel:
        stub = pb2_grpc.PredictorStub(channel)
        request = pb2.InferenceRequest(model_name=args.model, tensor_data=demo_image(), width=224, height=224)
        reply = stub.Predict(request, timeout=30)
        best = max(range(len(reply.predictions)), key=lambda i: reply.predictions[i])
        print(f'Predict: class {best}, confidence {reply.confidence:.4f}')

        if args.image:
            with open(args.image, 'rb') as f:
                reply = stub.PredictFast(pb2.FastInferenceRequest(model_name=args.model, raw_image=f.read()), timeout=30)
            print(f'PredictFast: confidence {reply.confidence:.4f}')

        frames = (pb2.InferenceRequest(model_name=args.model, tensor_data=demo_image(), width=224, height=224) for _ in range(3))
        for i, reply in enumerate(stub.StreamPredict(frames, timeout=60)):
            print(f'StreamPredict frame {i}: confidence {reply.confidence:.4f}')


if __name__ == '__main__':
    main()
