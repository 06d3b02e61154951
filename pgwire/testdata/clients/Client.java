import java.nio.file.*;
import java.sql.*;
import java.util.*;

/**
 * A PostgreSQL JDBC client of streamsql's wire server, for TestPGClients:
 * it prints what it reads, and the Go test compares the lines.
 *
 * usage: java -cp postgresql.jar Client.java host port user password dir
 */
public class Client {
    static String dir;

    static void feed(String name, String words) throws Exception {
        Path tmp = Files.createTempFile("feed", ".txt");
        Files.writeString(tmp, String.join("\n", words.split(" ")) + "\n");
        Files.move(tmp, Paths.get(dir, name));
    }

    static String rows(ResultSet rs) throws SQLException {
        List<String> out = new ArrayList<>();
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
            List<String> vals = new ArrayList<>();
            for (int i = 1; i <= n; i++) vals.add(rs.getString(i));
            out.add(String.join(",", vals));
        }
        return "[" + String.join(" ", out) + "]";
    }

    public static void main(String[] args) throws Exception {
        dir = args[4];
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/streamsql";
        Connection conn = DriverManager.getConnection(url, args[2], args[3]);
        Statement st = conn.createStatement();
        // start => 'earliest': a file moved in while the view's source starts
        // watching is read either way (the default skips files already there).
        st.execute("CREATE MATERIALIZED VIEW j_counts AS SELECT word, COUNT(*) AS n FROM file('" + dir + "', start => 'earliest') GROUP BY word");
        feed("1.txt", "a b a c a");
        long deadline = System.currentTimeMillis() + 60000;
        while (true) {
            ResultSet rs = st.executeQuery("SELECT SUM(n) AS s FROM j_counts");
            rs.next();
            if (rs.getLong(1) == 5) break;
            if (System.currentTimeMillis() > deadline) throw new RuntimeException("the view never counted 5 words");
            Thread.sleep(10);
        }
        // A prepared statement reused past the driver's prepare threshold
        // (it then asks for binary results).
        PreparedStatement ps = conn.prepareStatement("SELECT n FROM j_counts WHERE word = ?");
        for (int i = 0; i < 20; i++) {
            for (String w : new String[] {"a", "b", "c", "zz"}) {
                ps.setString(1, w);
                ResultSet rs = ps.executeQuery();
                String got = rows(rs);
                if (i == 19) System.out.println("pull " + w + " " + got);
            }
        }
        PreparedStatement typed = conn.prepareStatement("SELECT word, n FROM j_counts WHERE n >= ? ORDER BY word");
        for (int i = 0; i < 10; i++) {
            typed.setLong(1, 2);
            ResultSet rs = typed.executeQuery();
            String got = rows(rs);
            if (i == 9) System.out.println("typed " + got);
        }
        // A subscription through a cursor.
        conn.setAutoCommit(false);
        st.execute("DECLARE c CURSOR FOR SUBSCRIBE TO j_counts");
        System.out.println("fetch " + rows(st.executeQuery("FETCH ALL c")));
        feed("2.txt", "b d");
        System.out.println("fetch " + rows(st.executeQuery("FETCH ALL c WITH (timeout = '60s')")));
        st.execute("CLOSE c");
        conn.commit();
        conn.setAutoCommit(true);
        // A positioned error with its SQLSTATE.
        try {
            st.executeQuery("SELECT wrd FROM j_counts");
        } catch (SQLException e) {
            org.postgresql.util.ServerErrorMessage m = ((org.postgresql.util.PSQLException) e).getServerErrorMessage();
            System.out.println("error " + e.getSQLState() + " " + m.getMessage() + " " + m.getPosition());
        }
        // Cancel a continuous SELECT (it streams until cancelled). The
        // driver sends one cancel per statement, and a cancel that comes
        // before the statement runs is dropped (as PostgreSQL drops it), so
        // it is sent once SHOW QUERIES lists the query.
        Connection other = DriverManager.getConnection(url, args[2], args[3]);
        Statement os = other.createStatement();
        String live = "SELECT word FROM file('" + dir + "')";
        String[] result = {"not cancelled"};
        Thread runner = new Thread(() -> {
            try {
                os.executeQuery(live);
            } catch (SQLException e) {
                result[0] = e.getSQLState();
            }
        });
        runner.start();
        long until = System.currentTimeMillis() + 60000;
        while (!rows(st.executeQuery("SHOW QUERIES")).contains(live)) {
            if (System.currentTimeMillis() > until) throw new RuntimeException("the continuous SELECT never ran");
            Thread.sleep(10);
        }
        os.cancel();
        runner.join();
        System.out.println("cancel " + result[0]);
    }
}
