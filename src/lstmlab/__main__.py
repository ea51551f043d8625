"""Allow ``python -m lstmlab``."""

from lstmlab.cli import main

if __name__ == "__main__":
    main()
