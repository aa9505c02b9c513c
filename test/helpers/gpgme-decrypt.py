#!/usr/bin/python3
# Decrypts and verifies one file with GPGME (Debian python3-gpg), as KMail, Kleopatra and mutt's
# gpgme backend do, and prints what GPGME reports as one JSON object:
#   {"exit": 0|1, "error": str|null, "plaintext_length": int|null,
#    "signatures": [{"fpr", "status", "status_text", "validity", "summary", "summary_flags"}]}
# "exit" (also the process's exit code) is 0 only when GPGME decrypted without error and every
# signature has status 0. Exit code 3: python3-gpg is not importable (the caller skips).
# Usage: gpgme-decrypt.py GNUPGHOME FILE
import json
import sys

try:
    import gpg
except ImportError as e:
    print(json.dumps({"exit": 3, "error": f"python3-gpg not importable: {e}"}))
    sys.exit(3)

SUMMARY_FLAGS = [name for name in dir(gpg.constants.sigsum) if name.isupper()]


def describe(sig):
    flags = [name for name in SUMMARY_FLAGS if getattr(gpg.constants.sigsum, name) and sig.summary & getattr(gpg.constants.sigsum, name)]
    return {
        "fpr": sig.fpr,
        "status": sig.status,
        "status_text": gpg.errors.GPGMEError(sig.status).getstring() if sig.status else "Success",
        "validity": sig.validity,
        "summary": sig.summary,
        "summary_flags": sorted(flags),
    }


def main(home, path):
    with open(path, "rb") as f:
        data = f.read()
    out = {"exit": 1, "error": None, "plaintext_length": None, "signatures": []}
    with gpg.Context(home_dir=home) as ctx:
        ctx.pinentry_mode = gpg.constants.PINENTRY_MODE_LOOPBACK
        try:
            plaintext, _result, verified = ctx.decrypt(data, passphrase="", verify=True)
            out["plaintext_length"] = len(plaintext)
            out["signatures"] = [describe(s) for s in verified.signatures]
            out["exit"] = 0 if verified.signatures and all(s.status == 0 for s in verified.signatures) else 1
        except gpg.errors.BadSignatures as e:
            out["error"] = f"bad signatures: {e}"
            out["signatures"] = [describe(s) for s in e.result.signatures]
        except gpg.errors.GPGMEError as e:
            out["error"] = f"{e.getstring()} (source {e.getsource()}, code {e.getcode()})"
        except Exception as e:  # anything else GPGME's bindings raise is a failure to report, not a crash
            out["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))
    return out["exit"]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: gpgme-decrypt.py GNUPGHOME FILE", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
