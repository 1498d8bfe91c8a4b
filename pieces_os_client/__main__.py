"""``python -m pieces_os_client``: the command line (see ``pieces_os_client.cli``)."""
import sys

from pieces_os_client.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m pieces_os_client"))
