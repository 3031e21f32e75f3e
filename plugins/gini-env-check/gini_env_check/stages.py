"""The env-check stages: thin wrappers that run one reader each, plus the report.

The fact stages are independent of each other so the host may run them in parallel; only
``report`` requires them all. Every stage can describe, in a dry run, which files it would read.
"""

from __future__ import annotations

from typing import Final

from gini_env_check.cpu import CPUINFO, CpuFacts, read_cpu
from gini_env_check.devices import (
    IOMMU_GROUPS,
    KVM_DEVICE,
    IommuFacts,
    KvmFacts,
    read_iommu,
    read_kvm,
)
from gini_env_check.executables import ExecutablesFacts, find_executables
from gini_env_check.facts import ROOT, Unknown, unknown
from gini_env_check.memory import (
    MEMINFO,
    SWAPS,
    HugepagesFacts,
    MemoryFacts,
    SwapFacts,
    read_hugepages,
    read_memory,
    read_swap,
)
from gini_env_check.network import IP_FORWARD, NET_CLASS, NetworkFacts, read_network
from gini_env_check.os_release import (
    KERNEL_RELEASE,
    OS_RELEASE_FILES,
    OsReleaseFacts,
    read_os_release,
)
from gini_env_check.settings import ExecutablesConfig, NotReady, ReportConfig, settings_of
from gini_env_check.verdict import CHECKS, Verdict, decide
from gini_host import Stage, StageContext, stage

__all__ = ["PLUGIN_NAME", "STAGES"]

#: The entry point name this package is installed under; stage ids are ``env-check::NAME``.
PLUGIN_NAME: Final = "env-check"
_TAGS: Final = ("env",)


@stage(name="os_release", tags=_TAGS)
def os_release_stage(ctx: StageContext) -> OsReleaseFacts:
    """Read the distribution name and version and the kernel release."""
    return read_os_release(ROOT)


@os_release_stage.dry_run
def _describe_os_release(ctx: StageContext) -> str:
    return f"would read {' or '.join(OS_RELEASE_FILES)}, and {KERNEL_RELEASE}"


@stage(name="cpu", tags=_TAGS)
def cpu_stage(ctx: StageContext) -> CpuFacts | Unknown:
    """Read the CPU model, core counts and virtualization flags (vmx/svm)."""
    return read_cpu(ROOT)


@cpu_stage.dry_run
def _describe_cpu(ctx: StageContext) -> str:
    return f"would read {CPUINFO}"


@stage(name="memory", tags=_TAGS)
def memory_stage(ctx: StageContext) -> MemoryFacts | Unknown:
    """Read total and available memory."""
    return read_memory(ROOT)


@memory_stage.dry_run
def _describe_memory(ctx: StageContext) -> str:
    return f"would read MemTotal and MemAvailable from {MEMINFO}"


@stage(name="kvm", tags=_TAGS)
def kvm_stage(ctx: StageContext) -> KvmFacts | Unknown:
    """Check that /dev/kvm exists, that this user can open it read-write, and that it answers."""
    return read_kvm(ROOT)


@kvm_stage.dry_run
def _describe_kvm(ctx: StageContext) -> str:
    return (
        f"would check that {KVM_DEVICE} exists and is readable and writable by this user, "
        "then open it and ask its API version (KVM_GET_API_VERSION)"
    )


@stage(name="iommu", tags=_TAGS)
def iommu_stage(ctx: StageContext) -> IommuFacts | Unknown:
    """Count IOMMU groups to tell whether an IOMMU is enabled."""
    return read_iommu(ROOT)


@iommu_stage.dry_run
def _describe_iommu(ctx: StageContext) -> str:
    return f"would list {IOMMU_GROUPS}"


@stage(name="hugepages", tags=_TAGS)
def hugepages_stage(ctx: StageContext) -> HugepagesFacts | Unknown:
    """Read the huge page pool: total, free and page size."""
    return read_hugepages(ROOT)


@hugepages_stage.dry_run
def _describe_hugepages(ctx: StageContext) -> str:
    return f"would read HugePages_Total, HugePages_Free and Hugepagesize from {MEMINFO}"


@stage(name="swap", tags=_TAGS)
def swap_stage(ctx: StageContext) -> SwapFacts:
    """Read swap totals and the swap areas in use."""
    return read_swap(ROOT)


@swap_stage.dry_run
def _describe_swap(ctx: StageContext) -> str:
    return f"would read SwapTotal and SwapFree from {MEMINFO}, and {SWAPS}"


@stage(name="network", tags=_TAGS)
def network_stage(ctx: StageContext) -> NetworkFacts:
    """List Linux bridges and read whether IPv4 forwarding is on."""
    return read_network(ROOT)


@network_stage.dry_run
def _describe_network(ctx: StageContext) -> str:
    return f"would list bridges in {NET_CLASS}/*/bridge and read {IP_FORWARD}"


@stage(name="executables", tags=_TAGS, config=ExecutablesConfig)
def executables_stage(ctx: StageContext) -> ExecutablesFacts:
    """Look up the required programs (QEMU by default) on PATH."""
    config: ExecutablesConfig = ctx.config
    return find_executables(config.required)


@executables_stage.dry_run
def _describe_executables(ctx: StageContext) -> str:
    config: ExecutablesConfig = ctx.config
    return f"would look up {', '.join(config.required)} on PATH"


@stage(name="report", requires=CHECKS, tags=_TAGS, config=ReportConfig)
def report_stage(ctx: StageContext) -> Verdict:
    """Combine the environment facts into a ready / not ready verdict.

    With ``[plugin.env-check] strict = true`` a "not ready" verdict fails the stage: the
    error says ``not ready: <reasons>`` and the exception keeps the verdict.
    """
    config: ReportConfig = ctx.config
    minimum = config.min_memory_gib
    facts: dict[str, object] = {}
    for name in CHECKS:
        stage_id = f"{PLUGIN_NAME}::{name}"
        # Absent when an upstream stage was made optional and failed: unknown, not a pass.
        facts[name] = ctx.results.get(stage_id, unknown(f"stage {stage_id} produced no result"))
    verdict = decide(facts, minimum)
    for reason in verdict["reasons"]:
        ctx.log.debug("blocking: {}", reason)
    for warning in verdict["warnings"]:
        ctx.log.debug("warning: {}", warning)
    if not verdict["ready"] and settings_of(ctx.host).strict:
        raise NotReady(dict(verdict))
    return verdict


@report_stage.dry_run
def _describe_report(ctx: StageContext) -> str:
    return (
        f"would combine the results of {', '.join(CHECKS)} into a ready / not ready verdict "
        f"(minimum memory {ctx.config.min_memory_gib:g} GiB)"
    )


#: Every stage this plugin contributes, in the order they are listed.
STAGES: Final[tuple[Stage, ...]] = (
    os_release_stage,
    cpu_stage,
    memory_stage,
    kvm_stage,
    iommu_stage,
    hugepages_stage,
    swap_stage,
    network_stage,
    executables_stage,
    report_stage,
)
