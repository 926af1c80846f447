import sys

from syncs.soak.harness import main

sys.exit(main())
