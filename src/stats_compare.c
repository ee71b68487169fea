// SPDX-License-Identifier: MIT
#include "daxlab.h"
int cmd_stats_compare(int argc, char **argv)
{
	return error("stats compare: not yet");
}
