import sys

from boltzprune.app.cli import main

sys.exit(main())
