import sys

from wizard.cli.main import main

sys.exit(main())
