# tty_foreground.py - is this program in its terminal's foreground group (the check bash -i makes)?
import os
print("foreground" if os.tcgetpgrp(0) == os.getpgrp() else "background: tcgetpgrp %d, getpgrp %d" % (os.tcgetpgrp(0), os.getpgrp()))
