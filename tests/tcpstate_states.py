# SPDX-License-Identifier: GPL-2.0-or-later
"""The RFC 9293 states as the plugin numbers them (tshark -T fields prints
the number, the tree the name): the one list the Python tests and tools
share. It is written out here, not read from plugin/tcpstate_engine.h, so
that a test still catches the plugin renumbering its states.

    sys.path.insert(0, <tests folder>)
    from tcpstate_states import STATES
"""

STATES = ["CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
          "FIN_WAIT_2", "CLOSING", "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK"]
