"""What the runners of Triton's example scripts share (run_sequence.py, run_shm.py,
run_images.py): PASS/FAIL lines with a tally, the command line, and running one official example
script, unchanged, against the server under test."""
import argparse
import os
import subprocess
import sys

RESULTS = []


def check(name, ok, detail=""):
    """Records one check and prints its PASS/FAIL line."""
    RESULTS.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}", flush=True)


def error_of(fn):
    """The message of what `fn` raised (the client's InferenceServerException), or None."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the client's InferenceServerException
        return str(e)
    return None


def parse_args(doc):
    """The runners' command line: the server's URLs, the examples folder, a per-script timeout."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--http-url", default="127.0.0.1:8000")
    ap.add_argument("--grpc-url", default="127.0.0.1:8001")
    ap.add_argument("--examples", default=os.environ.get("TRITON_EXAMPLES", "/opt/tc/src/python/examples"))
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("-v", action="store_true", help="print the clients' output")
    return ap.parse_args()


def example_env():
    """The environment the example scripts run in: tritonclient importable from TRITONCLIENT_PATH."""
    env = dict(os.environ)
    lib = env.get("TRITONCLIENT_PATH", "/opt/tc/src/python/library")
    env["PYTHONPATH"] = os.pathsep.join(p for p in [lib, env.get("PYTHONPATH", "")] if p)
    return env


def run_example(args, env, script, url, passed, flags=()):
    """Runs one example script against `url`; it passes when it exits 0 and prints `passed`."""
    p = subprocess.run(
        ["/usr/bin/python3", os.path.join(args.examples, script), "-u", url, *flags],
        env=env, capture_output=True, text=True, timeout=args.timeout,
    )
    if args.v:
        print(p.stdout + p.stderr)
    ok = p.returncode == 0 and passed in p.stdout
    check(f"{script} -u {url} {' '.join(flags)}".rstrip(), ok, "" if ok else (p.stdout + p.stderr)[-600:])


def finish():
    """Prints the tally and exits 1 when any check failed."""
    passed = sum(RESULTS)
    print(f"{passed} passed, {len(RESULTS) - passed} failed")
    sys.exit(0 if passed == len(RESULTS) else 1)
