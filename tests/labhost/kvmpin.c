/*
 * kvmpin: holds the lab host's KVM jump labels enabled, so that starting
 * and stopping nested guests never makes the kernel rewrite its code.
 *
 * Multi-threaded TCG (the host's qemu) runs stale translations of code
 * that one vCPU patches while another executes it: the lab host dies of
 * "Oops: int3" in __schedule (tests/labhost/kvmflip.c reproduces it). KVM
 * patches code when a count of its jump labels goes from 0 to 1 or back:
 * the preempt-notifier key on every VM created or destroyed, apic_sw_disabled
 * and apic_hw_disabled on every vCPU created, destroyed or whose guest
 * enables its APIC. One VM held open with an in-kernel APIC and two vCPUs
 * that never run (one APIC software-disabled as at reset, one
 * hardware-disabled) keeps each count above 0: later VMs only move counts.
 * It holds no guest memory and never runs a guest.
 *
 *   gcc -O2 -static -o kvmpin tests/labhost/kvmpin.c
 *
 * labhost up starts it inside as a transient systemd service with
 * AllowedCPUs set, which holds the cpuset jump labels (cpusets_enabled) the
 * same way: a cgroup with the cpuset controller exists from then on.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MSR_IA32_APICBASE 0x1b

static int die(const char *what)
{
	perror(what);
	return 1;
}

int main(void)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} msrs;
	int kvm, vm, cpu0, cpu1;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return die("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return die("KVM_CREATE_VM");
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return die("KVM_CREATE_IRQCHIP");
	cpu0 = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (cpu0 < 0)
		return die("KVM_CREATE_VCPU 0");
	cpu1 = ioctl(vm, KVM_CREATE_VCPU, 1);
	if (cpu1 < 0)
		return die("KVM_CREATE_VCPU 1");
	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = 1;
	msrs.e.index = MSR_IA32_APICBASE;
	msrs.e.data = 0; /* the APIC hardware-disabled */
	if (ioctl(cpu1, KVM_SET_MSRS, &msrs) != 1)
		return die("KVM_SET_MSRS APIC base of vCPU 1");
	printf("kvmpin: holding a VM with 2 vCPUs\n");
	fflush(stdout);
	for (;;)
		pause();
}
