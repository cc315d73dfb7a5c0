//! Option tables for every subcommand, grouped the way Apple's `Flags.swift`
//! groups them so run, create and exec share one definition each.

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arity {
    Flag,
    Value,
}

#[derive(Debug)]
pub struct OptionSpec {
    /// Every spelling; the last one is the canonical name used for lookups.
    pub names: &'static [&'static str],
    pub value_name: &'static str,
    pub arity: Arity,
}

impl OptionSpec {
    pub fn canonical(&self) -> &'static str {
        self.names[self.names.len() - 1]
    }
}

const fn flag(names: &'static [&'static str]) -> OptionSpec {
    OptionSpec {
        names,
        value_name: "",
        arity: Arity::Flag,
    }
}

const fn value(names: &'static [&'static str], value_name: &'static str) -> OptionSpec {
    OptionSpec {
        names,
        value_name,
        arity: Arity::Value,
    }
}

#[derive(Debug)]
pub struct CommandSpec {
    /// `run`, `image pull`, ...
    pub path: &'static str,
    /// What follows `Usage: ` in parser errors.
    pub usage: &'static str,
    pub groups: &'static [&'static [OptionSpec]],
    /// Options end at the first positional (`run`, `create`, `exec`).
    pub passthrough: bool,
}

impl CommandSpec {
    pub fn options(&self) -> impl Iterator<Item = &'static OptionSpec> {
        self.groups.iter().flat_map(|group| group.iter())
    }
}

pub static DEBUG: OptionSpec = flag(&["--debug"]);
pub static HELP: OptionSpec = flag(&["-h", "--help"]);

static PROCESS: &[OptionSpec] = &[
    value(&["-e", "--env"], "<env>"),
    value(&["--env-file"], "<env-file>"),
    value(&["--gid"], "<gid>"),
    flag(&["-i", "--interactive"]),
    flag(&["-t", "--tty"]),
    value(&["-u", "--user"], "<user>"),
    value(&["--uid"], "<uid>"),
    value(&["-w", "--workdir", "--cwd"], "<dir>"),
    value(&["--ulimit"], "<ulimit>"),
];

static RESOURCE: &[OptionSpec] = &[
    value(&["-c", "--cpus"], "<cpus>"),
    value(&["-m", "--memory"], "<memory>"),
];

static MANAGEMENT: &[OptionSpec] = &[
    value(&["-a", "--arch"], "<arch>"),
    value(&["--cap-add"], "<cap>"),
    value(&["--cap-drop"], "<cap>"),
    value(&["--cidfile"], "<cidfile>"),
    flag(&["-d", "--detach"]),
    value(&["--dns"], "<ip>"),
    value(&["--dns-domain"], "<domain>"),
    value(&["--dns-option"], "<option>"),
    value(&["--dns-search"], "<domain>"),
    value(&["--entrypoint"], "<cmd>"),
    flag(&["--init"]),
    value(&["--init-image"], "<image>"),
    value(&["-k", "--kernel"], "<path>"),
    value(&["--kernel-arg"], "<arg>"),
    value(&["-l", "--label"], "<label>"),
    value(&["--masked-path"], "<path>"),
    value(&["--mount"], "<mount>"),
    value(&["--name"], "<name>"),
    value(&["--network"], "<network>"),
    flag(&["--no-dns"]),
    value(&["--os"], "<os>"),
    value(&["-p", "--publish"], "<spec>"),
    value(&["--platform"], "<platform>"),
    value(&["--publish-socket"], "<spec>"),
    flag(&["--read-only"]),
    value(&["--read-only-path"], "<path>"),
    flag(&["--rm", "--remove"]),
    flag(&["--rosetta"]),
    value(&["--runtime"], "<runtime>"),
    flag(&["--ssh"]),
    value(&["--shm-size"], "<size>"),
    value(&["--tmpfs"], "<tmpfs>"),
    flag(&["--virtualization"]),
    value(&["-v", "--volume"], "<volume>"),
];

static FETCH: &[OptionSpec] = &[
    value(&["--scheme"], "<scheme>"),
    value(
        &["--max-concurrent-downloads"],
        "<max-concurrent-downloads>",
    ),
];

static PROGRESS: &[OptionSpec] = &[value(&["--progress"], "<type>")];

static PLATFORM: &[OptionSpec] = &[
    value(&["-a", "--arch"], "<arch>"),
    value(&["--os"], "<os>"),
    value(&["--platform"], "<platform>"),
];

static LIST_FORMAT: &[OptionSpec] = &[value(&["--format"], "<format>"), flag(&["-q", "--quiet"])];

static FORMAT: &[OptionSpec] = &[value(&["--format"], "<format>")];
static NONE: &[OptionSpec] = &[];

pub static RUN: CommandSpec = CommandSpec {
    path: "run",
    usage: "container run [<options>] <image> [<arguments> ...]",
    groups: &[PROCESS, RESOURCE, MANAGEMENT, FETCH, PROGRESS],
    passthrough: true,
};

pub static CREATE: CommandSpec = CommandSpec {
    path: "create",
    usage: "container create [<options>] <image> [<arguments> ...]",
    groups: &[PROCESS, RESOURCE, MANAGEMENT, FETCH],
    passthrough: true,
};

pub static START: CommandSpec = CommandSpec {
    path: "start",
    usage: "container start [--attach] [--interactive] [--debug] <container-id>",
    groups: &[&[flag(&["-a", "--attach"]), flag(&["-i", "--interactive"])]],
    passthrough: false,
};

pub static STOP: CommandSpec = CommandSpec {
    path: "stop",
    usage: "container stop [--all] [--signal <signal>] [--time <time>] [--debug] \
            [<container-ids> ...]",
    groups: &[&[
        flag(&["-a", "--all"]),
        value(&["-s", "--signal"], "<signal>"),
        value(&["-t", "--time"], "<time>"),
    ]],
    passthrough: false,
};

pub static KILL: CommandSpec = CommandSpec {
    path: "kill",
    usage: "container kill [--all] [--signal <signal>] [--debug] [<container-ids> ...]",
    groups: &[&[
        flag(&["-a", "--all"]),
        value(&["-s", "--signal"], "<signal>"),
    ]],
    passthrough: false,
};

pub static DELETE: CommandSpec = CommandSpec {
    path: "delete",
    usage: "container delete [--all] [--force] [--debug] [<container-ids> ...]",
    groups: &[&[flag(&["-a", "--all"]), flag(&["-f", "--force"])]],
    passthrough: false,
};

pub static LIST: CommandSpec = CommandSpec {
    path: "list",
    usage: "container list [--all] [--format <format>] [--quiet] [--debug]",
    groups: &[&[flag(&["-a", "--all"])], LIST_FORMAT],
    passthrough: false,
};

pub static INSPECT: CommandSpec = CommandSpec {
    path: "inspect",
    usage: "container inspect [--debug] <container-ids> ...",
    groups: &[NONE],
    passthrough: false,
};

pub static LOGS: CommandSpec = CommandSpec {
    path: "logs",
    usage: "container logs [--boot] [--follow] [-n <n>] [--debug] <container-id>",
    groups: &[&[
        flag(&["--boot"]),
        flag(&["-f", "--follow"]),
        value(&["-n"], "<n>"),
    ]],
    passthrough: false,
};

pub static STATS: CommandSpec = CommandSpec {
    path: "stats",
    usage: "container stats [--format <format>] [--no-stream] [--debug] [<container-ids> ...]",
    groups: &[FORMAT, &[flag(&["--no-stream"])]],
    passthrough: false,
};

pub static EXEC: CommandSpec = CommandSpec {
    path: "exec",
    usage: "container exec [<options>] <container-id> <arguments> ...",
    groups: &[PROCESS, &[flag(&["-d", "--detach"])]],
    passthrough: true,
};

pub static IMAGE_PULL: CommandSpec = CommandSpec {
    path: "image pull",
    usage: "container image pull [<options>] <reference>",
    groups: &[FETCH, PROGRESS, PLATFORM],
    passthrough: false,
};

pub static IMAGE_INSPECT: CommandSpec = CommandSpec {
    path: "image inspect",
    usage: "container image inspect [--debug] <images> ...",
    groups: &[NONE],
    passthrough: false,
};

pub static IMAGE_LIST: CommandSpec = CommandSpec {
    path: "image list",
    usage: "container image list [--format <format>] [--quiet] [--verbose] [--debug]",
    groups: &[LIST_FORMAT, &[flag(&["-v", "--verbose"])]],
    passthrough: false,
};

pub static IMAGE_DELETE: CommandSpec = CommandSpec {
    path: "image delete",
    usage: "container image delete [--all] [--force] [--debug] [<images> ...]",
    groups: &[&[flag(&["-a", "--all"]), flag(&["-f", "--force"])]],
    passthrough: false,
};

pub static REGISTRY_LOGIN: CommandSpec = CommandSpec {
    path: "registry login",
    usage: "container registry login [--scheme <scheme>] [--password-stdin] \
            [--username <username>] [--debug] <server>",
    groups: &[&[
        value(&["--scheme"], "<scheme>"),
        flag(&["--password-stdin"]),
        value(&["-u", "--username"], "<username>"),
    ]],
    passthrough: false,
};

pub static REGISTRY_LOGOUT: CommandSpec = CommandSpec {
    path: "registry logout",
    usage: "container registry logout [--debug] <registry>",
    groups: &[NONE],
    passthrough: false,
};

pub static REGISTRY_LIST: CommandSpec = CommandSpec {
    path: "registry list",
    usage: "container registry list [--format <format>] [--quiet] [--debug]",
    groups: &[LIST_FORMAT],
    passthrough: false,
};

pub static SYSTEM_STATUS: CommandSpec = CommandSpec {
    path: "system status",
    usage: "container system status [--prefix <prefix>] [--format <format>] [--debug]",
    groups: &[FORMAT, &[value(&["-p", "--prefix"], "<prefix>")]],
    passthrough: false,
};

pub static SYSTEM_VERSION: CommandSpec = CommandSpec {
    path: "system version",
    usage: "container system version [--format <format>] [--debug]",
    groups: &[FORMAT],
    passthrough: false,
};

pub static SYSTEM_START: CommandSpec = CommandSpec {
    path: "system start",
    usage: "container system start [<options>]",
    groups: &[&[
        value(&["-a", "--app-root"], "<app-root>"),
        value(&["--install-root"], "<install-root>"),
        value(&["--log-root"], "<log-root>"),
        flag(&["--enable-kernel-install"]),
        flag(&["--disable-kernel-install"]),
        value(&["--timeout"], "<timeout>"),
    ]],
    passthrough: false,
};

pub static SYSTEM_STOP: CommandSpec = CommandSpec {
    path: "system stop",
    usage: "container system stop [--prefix <prefix>] [--debug]",
    groups: &[&[value(&["-p", "--prefix"], "<prefix>")]],
    passthrough: false,
};
