//! Plain-text tables: every column is as wide as its widest cell plus two
//! spaces, and the last column is not padded.

pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|cell| cell.chars().count()).collect();
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            widths[index] = widths[index].max(cell.chars().count());
        }
    }

    let header_row: Vec<String> = header.iter().map(|cell| cell.to_string()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header_row).chain(rows.iter()) {
        out.push_str(&render_row(row, &widths));
        out.push('\n');
    }
    out
}

fn render_row(row: &[String], widths: &[usize]) -> String {
    let mut line = String::new();
    for (index, cell) in row.iter().enumerate() {
        if index + 1 == row.len() {
            line.push_str(cell);
        } else {
            let padding = widths[index] + 2 - cell.chars().count();
            line.push_str(cell);
            line.push_str(&" ".repeat(padding));
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_pad_to_widest_cell_plus_two_except_last() {
        let rows = vec![vec!["web-1".to_string(), "running".to_string()]];
        assert_eq!(
            render(&["ID", "STATE"], &rows),
            "ID     STATE\nweb-1  running\n"
        );
    }

    #[test]
    fn empty_table_prints_only_the_header() {
        assert_eq!(render(&["NAME", "TAG"], &[]), "NAME  TAG\n");
    }
}
