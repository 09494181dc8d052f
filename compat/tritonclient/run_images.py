#!/usr/bin/python3
"""Runs Triton's own image examples, unchanged, against a running tensorgate serving
examples/model_repository:

    ensemble_image_client.py -m ensemble_image -c 3 -i grpc|http <one image> and <a folder>
    image_client.py -m image_classifier -s INCEPTION -c 3 -i grpc|http <a folder> (also -a, --streaming, -b 2)

and checks what they print: PASS, the same classes and scores over both protocols, and the
ensemble (images decoded and prepared by image_preprocess in the server) against image_client.py
(the same images prepared by Pillow in the client): the same top class for every image, scores
within 0.01. Bad images (truncated, not an image) must fail with the server's INVALID_ARG message.

    TRITON_EXAMPLES=<dir with image_client.py and ensemble_image_client.py> \\
    TRITONCLIENT_PATH=<dir holding tritonclient/> \\
    /usr/bin/python3 compat/tritonclient/run_images.py --http-url 127.0.0.1:8000 --grpc-url 127.0.0.1:8001

The images are made with sharp by make_images.mjs (node, from this repository) into a temporary
folder, unless --images DIR names a folder made earlier. Prints one PASS/FAIL line per check and
"N passed, M failed"; exit status 1 if anything failed.
"""
import argparse
import os
import re
import subprocess
import tempfile

from example_runner import check, finish

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(args, script, *argv):
    env = dict(os.environ)
    paths = [env.get("TRITONCLIENT_PATH", "/work/compat/src")]
    try:
        import attrdict  # noqa: F401
    except ImportError:
        paths.append(os.path.join(HERE, "shims"))  # image_client.py's HTTP form imports attrdict
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths + [env.get("PYTHONPATH", "")] if p)
    cmd = ["/usr/bin/python3", os.path.join(args.examples, script), *argv]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
    def short(a):
        if a == args.images:
            return "<images>/"
        return os.path.relpath(a, args.images) if a.startswith(args.images + os.sep) else a

    shown = " ".join([script, *map(short, argv)])
    return p, shown


def parse(output):
    """{file name: [(index, score), ...]} from ensemble_image_client.py's output, in order."""
    result = {}
    current = None
    for line in output.splitlines():
        m = re.match(r'^"(.*)":$', line)
        if m:
            current = result.setdefault(os.path.basename(m.group(1)), [])
            continue
        m = re.match(r"^\s+([-\d.e]+) \((\d+)\) = (\S+)$", line)
        if m and current is not None:
            current.append((int(m.group(2)), float(m.group(1))))
    return result


def parse_image_client(output, names):
    """image_client.py prints 'Request n, batch size 1' then the classes, in sorted file order."""
    blocks = re.split(r"^Request \d+, batch size \d+$", output, flags=re.M)[1:]
    result = {}
    for name, block in zip(names, blocks):
        result[name] = [(int(m.group(2)), float(m.group(1))) for m in re.finditer(r"^\s+([-\d.e]+) \((\d+)\) = (\S+)$", block, re.M)]
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--http-url", default="127.0.0.1:8000")
    ap.add_argument("--grpc-url", default="127.0.0.1:8001")
    ap.add_argument("--examples", default=os.environ.get("TRITON_EXAMPLES", "/opt/tc/src/python/examples"))
    ap.add_argument("--images", help="folder of images (default: made by make_images.mjs in a temp folder)")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("-v", action="store_true", help="print the clients' output")
    args = ap.parse_args()
    if not args.images:
        args.images = tempfile.mkdtemp(prefix="tensorgate-images-")
        subprocess.run(["node", os.path.join(HERE, "make_images.mjs"), args.images], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    args.images = os.path.abspath(args.images)
    names = sorted(f for f in os.listdir(args.images) if os.path.isfile(os.path.join(args.images, f)))
    url = {"http": args.http_url, "grpc": args.grpc_url}

    ensemble = {}
    for proto in ("grpc", "http"):
        for target in (os.path.join(args.images, names[0]), args.images):
            p, shown = run(args, "ensemble_image_client.py", "-m", "ensemble_image", "-c", "3", "-i", proto, "-u", url[proto], target)
            if args.v:
                print(p.stdout + p.stderr)
            got = parse(p.stdout)
            expect = [names[0]] if target != args.images else names
            ok = p.returncode == 0 and p.stdout.rstrip().endswith("PASS") and sorted(got) == sorted(expect)
            ok = ok and all(len(v) == 3 for v in got.values())
            check(shown, ok, f"{len(got)} image(s)" if ok else (p.stdout + p.stderr)[-600:])
            if ok and target == args.images:
                ensemble[proto] = got
    if len(ensemble) == 2:
        same = all(
            [i for i, _ in ensemble["grpc"][n]] == [i for i, _ in ensemble["http"][n]]
            and all(abs(a - b) < 1e-6 for (_, a), (_, b) in zip(ensemble["grpc"][n], ensemble["http"][n]))
            for n in names
        )
        check("ensemble_image: the same classes and scores over gRPC and HTTP", same)

    pillow = {}
    for proto, extra in (("grpc", []), ("http", []), ("grpc", ["-a"]), ("grpc", ["--streaming"]), ("http", ["-a"]), ("grpc", ["-b", "2"])):
        argv = ["-m", "image_classifier", "-s", "INCEPTION", "-c", "3", "-i", proto, "-u", url[proto], *extra, args.images]
        p, shown = run(args, "image_client.py", *argv)
        if args.v:
            print(p.stdout + p.stderr)
        ok = p.returncode == 0 and p.stdout.rstrip().endswith("PASS")
        if ok and not extra:
            pillow[proto] = parse_image_client(p.stdout, names)
            ok = all(len(pillow[proto].get(n, [])) == 3 for n in names)
        check(shown, ok, "" if ok else (p.stdout + p.stderr)[-600:])

    if ensemble.get("grpc") and pillow.get("grpc"):
        worst = 0.0
        same_top = True
        for n in names:
            ours, theirs = ensemble["grpc"][n], pillow["grpc"][n]
            same_top = same_top and ours[0][0] == theirs[0][0]
            worst = max(worst, max(abs(a - b) for (_, a), (_, b) in zip(ours, theirs)))
            print(f"     {n}: ensemble {ours[0][0]} {ours[0][1]:.6f} | image_client {theirs[0][0]} {theirs[0][1]:.6f}")
        check(
            "ensemble_image (server-side sharp) vs image_client.py -s INCEPTION (client-side Pillow): same top class",
            same_top and worst < 0.01,
            f"largest score difference {worst:.6f}",
        )

    bad = os.path.join(args.images, "bad")
    if os.path.isdir(bad):
        for f, message in (("truncated.jpg", "JPEG image could not be decoded"), ("not_an_image.jpg", "not a JPEG, PNG or WebP image")):
            for proto in ("grpc", "http"):
                p, shown = run(args, "ensemble_image_client.py", "-m", "ensemble_image", "-i", proto, "-u", url[proto], os.path.join(bad, f))
                out = p.stdout + p.stderr
                code = "StatusCode.INVALID_ARGUMENT" if proto == "grpc" else "[400]"
                ok = p.returncode != 0 and code in out and message in out and "step 0 (model 'image_preprocess')" in out
                line = next((l for l in out.splitlines() if message in l), out[-300:])
                check(f"{shown} fails with INVALID_ARG", ok, line.strip()[-300:])

    finish()


if __name__ == "__main__":
    main()
