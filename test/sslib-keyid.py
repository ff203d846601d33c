# The online key id as securesystemslib computes it (encode_canonical over the key dict that
# SSlibKey.from_crypto builds: upstream/rstuf.md §7), and a signature made by the program side
# verified with that key dict by securesystemslib itself. Input and output: JSON on stdin/stdout.
import hashlib, json, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import SSlibKey, Signature

req = json.load(sys.stdin)
k = serialization.load_pem_public_key(req["publicPem"].encode())
spki = lambda: k.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
if isinstance(k, ed25519.Ed25519PublicKey):
    keytype, scheme, public = "ed25519", "ed25519", k.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
elif isinstance(k, ec.EllipticCurvePublicKey) and k.curve.name == "secp256r1":
    keytype, scheme, public = "ecdsa", "ecdsa-sha2-nistp256", spki()
elif isinstance(k, rsa.RSAPublicKey):
    keytype, scheme, public = "rsa", "rsassa-pss-sha256", spki()
else:
    sys.exit("unsupported key")
keyval = {"public": public}
keyid = hashlib.sha256(encode_canonical({"keytype": keytype, "scheme": scheme, "keyval": keyval}).encode()).hexdigest()
key = SSlibKey(keyid, keytype, scheme, keyval)
key.verify_signature(Signature(keyid, req["signature"]), req["data"].encode())
print(json.dumps({"keyid": keyid, "keytype": keytype, "scheme": scheme, "public": public}))
