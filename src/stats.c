// SPDX-License-Identifier: MIT
#include "daxlab.h"
int cmd_stats(int argc, char **argv)
{
	return error("stats: not yet");
}
