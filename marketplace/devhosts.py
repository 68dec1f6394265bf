"""Where `make run` can be reached from: this machine, an emulator, a phone on the same network.

Local settings allow these hosts (unless `ALLOWED_HOSTS` is set), and `make run` prints the
addresses that apply to the interface it listens on.
"""

import socket
import sys

# The host machine as Android's emulator (10.0.2.2) and Genymotion (10.0.3.2) reach it; their
# requests arrive on the loopback interface, so `make run` on 127.0.0.1 serves them.
EMULATOR_HOSTS = ("10.0.2.2", "10.0.3.2")
ALL_INTERFACES = ("0.0.0.0", "::", "[::]")  # noqa: S104 - the addresses `HOST` may name


def lan_addresses() -> list[str]:
    """This machine's addresses on its networks (no packet is sent to find them)."""
    found: set[str] = set()
    try:
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(sockaddr[0]))
    except OSError:
        pass
    # Connecting a UDP socket only picks the interface that routes outwards.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 1))
            found.add(probe.getsockname()[0])
        except OSError:
            pass
    return sorted(address for address in found if not address.startswith("127."))


def lan_hosts() -> list[str]:
    """Host names a phone on the network may use: the addresses and this machine's names."""
    name = socket.gethostname()
    return [*lan_addresses(), name, f"{name}.local"]


def banner(host: str, port: str) -> list[str]:
    lines = [f"Serving on http://{host}:{port}"]
    if host in ALL_INTERFACES:
        lines = [f"Serving on http://127.0.0.1:{port} and every interface of this machine"]
        lines += [f"  from a phone on this network: http://{a}:{port}" for a in lan_addresses()]
    if host in ALL_INTERFACES or host.startswith("127.") or host == "localhost":
        lines.append(f"  from Android's emulator: http://10.0.2.2:{port}")
    if host not in ALL_INTERFACES:
        lines.append("  (a phone on the network needs `make run HOST=0.0.0.0`)")
    return lines


if __name__ == "__main__":
    sys.stdout.write("\n".join(banner(sys.argv[1], sys.argv[2])) + "\n")
