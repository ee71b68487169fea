/*
 * kvmflip: a reproducer for the lab host's int3 oops under multi-threaded
 * TCG. Every KVM_CREATE_VM and every close of the VM flips the kernel's
 * preempt_notifier_key, a jump label in __schedule, which the kernel
 * rewrites with text_poke_bp (an int3 first). Run inside the lab host
 * while both CPUs context-switch hard:
 *
 *   gcc -O2 -static -o kvmflip tests/labhost/kvmflip.c
 *   tests/labhost/labhost ssh -- install -m 0755 /dev/stdin /var/tmp/kvmflip <kvmflip
 *   tests/labhost/labhost ssh -- sh -c 'for c in 0 1; do taskset -c $c sh -c \
 *       "dd if=/dev/zero bs=1 | dd of=/dev/null bs=1" 2>/dev/null & done'
 *   tests/labhost/labhost ssh -- /var/tmp/kvmflip 100000 120
 *
 * then grep the console log (build/labhost/run/console.log) for "Oops".
 *
 *   kvmflip [N [SECONDS]]   N creates (default 1000), at most SECONDS
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	int vcpu = argc > 3 && strcmp(argv[3], "vcpu") == 0;
	time_t end = time(NULL) + (argc > 2 ? atol(argv[2]) : 3600);
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	long i;

	if (kvm < 0) {
		perror("/dev/kvm");
		return 1;
	}
	for (i = 1; i <= n; i++) {
		int vm = ioctl(kvm, KVM_CREATE_VM, 0);

		if (vm < 0) {
			perror("KVM_CREATE_VM");
			return 1;
		}
		if (vcpu) {
			int c;

			if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) {
				perror("KVM_CREATE_IRQCHIP");
				return 1;
			}
			c = ioctl(vm, KVM_CREATE_VCPU, 0);
			if (c < 0) {
				perror("KVM_CREATE_VCPU");
				return 1;
			}
			close(c);
		}
		close(vm);
		if (i % 100 == 0 || time(NULL) >= end) {
			printf("%ld\n", i);
			fflush(stdout);
		}
		if (time(NULL) >= end)
			break;
	}
	return 0;
}
