//! A small parser with swift-argument-parser's behaviour and texts: options
//! anywhere (or, for passthrough commands, only before the first positional),
//! `--name=value`, clustered short flags, `--` as terminator, and
//! `Unknown option` / `Missing value` errors that exit 64.

use super::specs::{Arity, CommandSpec, OptionSpec, DEBUG, HELP};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
}

impl ParseError {
    pub fn new(message: impl Into<String>) -> Self {
        ParseError {
            message: message.into(),
        }
    }
}

/// One occurrence of an option: its canonical (last) name, the spelling the
/// user typed, and the value when it takes one.
#[derive(Debug, Clone)]
struct Occurrence {
    canonical: &'static str,
    typed: String,
    value_name: &'static str,
    value: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ParsedArgs {
    occurrences: Vec<Occurrence>,
    pub positionals: Vec<String>,
    pub help: bool,
}

impl ParsedArgs {
    /// Whether a flag was given, by its canonical long name.
    pub fn flag(&self, canonical: &str) -> bool {
        self.occurrences
            .iter()
            .any(|occurrence| occurrence.canonical == canonical)
    }

    /// Every value of a repeatable option, in order.
    pub fn values(&self, canonical: &str) -> Vec<String> {
        self.occurrences
            .iter()
            .filter(|occurrence| occurrence.canonical == canonical)
            .filter_map(|occurrence| occurrence.value.clone())
            .collect()
    }

    /// The last value of a single-valued option.
    pub fn value(&self, canonical: &str) -> Option<String> {
        self.values(canonical).pop()
    }

    /// The last value parsed as a number; a bad value is a parser error.
    pub fn number<T: std::str::FromStr>(&self, canonical: &str) -> Result<Option<T>, ParseError> {
        let last = self
            .occurrences
            .iter()
            .rev()
            .find(|occurrence| occurrence.canonical == canonical && occurrence.value.is_some());
        let Some(occurrence) = last else {
            return Ok(None);
        };
        let text = occurrence.value.as_deref().unwrap_or_default();
        text.parse::<T>().map(Some).map_err(|_| {
            ParseError::new(format!(
                "The value '{text}' is invalid for '{} {}'",
                occurrence.typed, occurrence.value_name
            ))
        })
    }

    /// Checks positional counts: `names` are required, in order; `rest` allows more.
    pub fn expect_positionals(&self, names: &[&str], rest: bool) -> Result<(), ParseError> {
        if let Some(missing) = names.get(self.positionals.len()) {
            return Err(ParseError::new(format!(
                "Missing expected argument '{missing}'"
            )));
        }
        if !rest {
            if let Some(extra) = self.positionals.get(names.len()) {
                return Err(ParseError::new(format!("Unexpected argument '{extra}'")));
            }
        }
        Ok(())
    }
}

pub fn parse(spec: &CommandSpec, args: &[String]) -> Result<ParsedArgs, ParseError> {
    let mut parsed = ParsedArgs::default();
    let mut index = 0;
    while index < args.len() {
        let arg = &args[index];
        index += 1;

        let options_closed = spec.passthrough && !parsed.positionals.is_empty();
        if options_closed || arg == "-" || !arg.starts_with('-') {
            parsed.positionals.push(arg.clone());
            continue;
        }
        if arg == "--" {
            parsed.positionals.extend(args[index..].iter().cloned());
            break;
        }

        if arg.starts_with("--") {
            index = parse_long(spec, arg, args, index, &mut parsed)?;
        } else {
            index = parse_short_cluster(spec, arg, args, index, &mut parsed)?;
        }
    }
    Ok(parsed)
}

fn parse_long(
    spec: &CommandSpec,
    arg: &str,
    args: &[String],
    index: usize,
    parsed: &mut ParsedArgs,
) -> Result<usize, ParseError> {
    let (name, inline_value) = match arg.split_once('=') {
        Some((name, value)) => (name, Some(value.to_string())),
        None => (arg, None),
    };
    let option = find(spec, name).ok_or_else(|| unknown(arg))?;
    match (option.arity, inline_value) {
        (Arity::Flag, Some(_)) => Err(unknown(arg)),
        (Arity::Flag, None) => {
            record(parsed, option, name, None);
            Ok(index)
        }
        (Arity::Value, Some(value)) => {
            record(parsed, option, name, Some(value));
            Ok(index)
        }
        (Arity::Value, None) => take_value(option, name, args, index, parsed),
    }
}

fn parse_short_cluster(
    spec: &CommandSpec,
    arg: &str,
    args: &[String],
    mut index: usize,
    parsed: &mut ParsedArgs,
) -> Result<usize, ParseError> {
    let letters: Vec<char> = arg.chars().skip(1).collect();
    for (position, letter) in letters.iter().enumerate() {
        let name = format!("-{letter}");
        let option = find(spec, &name).ok_or_else(|| unknown(&name))?;
        let is_last = position + 1 == letters.len();
        match option.arity {
            Arity::Flag => record(parsed, option, &name, None),
            Arity::Value if is_last => index = take_value(option, &name, args, index, parsed)?,
            Arity::Value => {
                let value: String = letters[position + 1..].iter().collect();
                record(parsed, option, &name, Some(value));
                break;
            }
        }
    }
    Ok(index)
}

fn take_value(
    option: &'static OptionSpec,
    typed: &str,
    args: &[String],
    index: usize,
    parsed: &mut ParsedArgs,
) -> Result<usize, ParseError> {
    let usable = args.get(index).filter(|next| {
        !next.starts_with('-') || next.as_str() == "-" || next.parse::<f64>().is_ok()
    });
    let Some(value) = usable else {
        return Err(ParseError::new(format!(
            "Missing value for '{typed} {}'",
            option.value_name
        )));
    };
    record(parsed, option, typed, Some(value.clone()));
    Ok(index + 1)
}

fn record(
    parsed: &mut ParsedArgs,
    option: &'static OptionSpec,
    typed: &str,
    value: Option<String>,
) {
    if option.names == HELP.names {
        parsed.help = true;
        return;
    }
    parsed.occurrences.push(Occurrence {
        canonical: option.canonical(),
        typed: typed.to_string(),
        value_name: option.value_name,
        value,
    });
}

fn find(spec: &CommandSpec, name: &str) -> Option<&'static OptionSpec> {
    let universal: [&'static OptionSpec; 2] = [&DEBUG, &HELP];
    spec.options()
        .chain(universal)
        .find(|option| option.names.contains(&name))
}

fn unknown(name: &str) -> ParseError {
    ParseError::new(format!("Unknown option '{name}'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::specs;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn run_stops_option_parsing_at_the_image() {
        let args = strings(&["--name", "web", "-d", "alpine", "--name", "x", "-it", "--"]);
        let parsed = parse(&specs::RUN, &args).unwrap();
        assert_eq!(parsed.value("--name").as_deref(), Some("web"));
        assert!(parsed.flag("--detach"));
        assert_eq!(
            parsed.positionals,
            strings(&["alpine", "--name", "x", "-it", "--"])
        );
    }

    #[test]
    fn unknown_option_before_the_image_is_an_error() {
        let error = parse(&specs::RUN, &strings(&["--bogus", "alpine"])).unwrap_err();
        assert_eq!(error.message, "Unknown option '--bogus'");
    }

    #[test]
    fn clustered_short_flags_and_inline_values() {
        let parsed = parse(
            &specs::RUN,
            &strings(&["-it", "--env=A=1", "-e", "B=2", "img"]),
        );
        let parsed = parsed.unwrap();
        assert!(parsed.flag("--interactive") && parsed.flag("--tty"));
        assert_eq!(parsed.values("--env"), strings(&["A=1", "B=2"]));
    }

    #[test]
    fn missing_value_names_the_option_and_its_value() {
        let error = parse(&specs::RUN, &strings(&["--name"])).unwrap_err();
        assert_eq!(error.message, "Missing value for '--name <name>'");
    }

    #[test]
    fn non_integer_cpus_is_a_parser_error() {
        let parsed = parse(&specs::RUN, &strings(&["-c", "1.5", "img"])).unwrap();
        let error = parsed.number::<i64>("--cpus").unwrap_err();
        assert_eq!(error.message, "The value '1.5' is invalid for '-c <cpus>'");
    }

    #[test]
    fn other_commands_accept_options_after_positionals() {
        let parsed = parse(&specs::STOP, &strings(&["web", "-t", "1", "api"])).unwrap();
        assert_eq!(parsed.positionals, strings(&["web", "api"]));
        assert_eq!(parsed.number::<i32>("--time").unwrap(), Some(1));
    }

    #[test]
    fn negative_numbers_are_values() {
        let parsed = parse(&specs::LOGS, &strings(&["-n", "-1", "web"])).unwrap();
        assert_eq!(parsed.number::<i64>("-n").unwrap(), Some(-1));
    }

    #[test]
    fn positional_counts_are_checked() {
        let parsed = parse(&specs::START, &[]).unwrap();
        let error = parsed
            .expect_positionals(&["<container-id>"], false)
            .unwrap_err();
        assert_eq!(error.message, "Missing expected argument '<container-id>'");
    }
}
